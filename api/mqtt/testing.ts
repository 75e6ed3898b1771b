/**
 * Test support for MQTT tests against the real Mosquitto (127.0.0.1:1883, or
 * EMS_TEST_MQTT_URL): a random topic prefix per test so parallel runs sharing
 * the broker never see each other's messages, a publisher, and a collector of
 * what arrives on a topic.
 */
import { randomBytes } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';

export const TEST_MQTT_URL = process.env.EMS_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

export const randomTopicPrefix = () => `emstest-${randomBytes(5).toString('hex')}`;

export async function testPublisher(): Promise<MqttClient> {
  return connectAsync(TEST_MQTT_URL, { protocolVersion: 5, reconnectPeriod: 0 });
}

/** Subscribes to `topic` and collects the JSON payloads that arrive. */
export async function collect(topic: string): Promise<{ messages: unknown[]; close(): Promise<void> }> {
  const client = await connectAsync(TEST_MQTT_URL, { protocolVersion: 5, reconnectPeriod: 0 });
  const messages: unknown[] = [];
  client.on('message', (_t, payload) => messages.push(JSON.parse(payload.toString())));
  await client.subscribeAsync(topic, { qos: 1 });
  return { messages, close: () => client.endAsync() };
}

/** Polls until `probe` returns true, or throws after `timeoutMs` with `what`. */
export async function waitUntil(
  what: string | (() => string | Promise<string>),
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
) {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : await what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Publishes `body` as a meter does: JSON (a string is sent as it is), QoS 1. */
export async function publishJson(pub: MqttClient, topic: string, body: unknown): Promise<void> {
  await pub.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
}
