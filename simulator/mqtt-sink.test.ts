/**
 * `ems simulate --mqtt`: the flags, and the sink against the real Mosquitto —
 * one QoS 1 message per device on its readings topic, in the REST item shape,
 * and a bad batch refused before anything is published.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { collect, randomTopicPrefix, TEST_MQTT_URL, waitUntil } from '../api/mqtt/testing.ts';
import { ArgumentError, parseSimulateArgs } from './args.ts';
import { MqttSink } from './mqtt-sink.ts';
import { SinkRejectedError } from './sink.ts';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

let sink: MqttSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('--mqtt flags', () => {
  it('takes an mqtt:// URL and a prefix (default $EMS_MQTT_TOPIC_PREFIX); refuses mixing transports', () => {
    const base = ['--device', A, '--count', '1'];
    const o = parseSimulateArgs([...base, '--mqtt', 'mqtt://127.0.0.1:1883'], {
      EMS_MQTT_TOPIC_PREFIX: 'site-a',
    });
    expect(o).toMatchObject({ mqtt: 'mqtt://127.0.0.1:1883', mqttPrefix: 'site-a' });
    expect(() => parseSimulateArgs([...base, '--mqtt', 'http://x'])).toThrow(
      /--mqtt: "http:\/\/x" is not an mqtt/,
    );
    expect(() => parseSimulateArgs([...base, '--mqtt', 'mqtt://x', '--redis', 'redis://y'])).toThrow(
      ArgumentError,
    );
    expect(() => parseSimulateArgs([...base, '--mqtt-prefix', 'p'])).toThrow(/only applies with --mqtt/);
  });
});

describe('MqttSink through Mosquitto', () => {
  it('publishes one message per device on ems/devices/<id>/readings and resolves on the broker acks', async () => {
    const prefix = randomTopicPrefix();
    const seen = await collect(`${prefix}/ems/devices/+/readings`);
    try {
      sink = new MqttSink({ url: TEST_MQTT_URL, topicPrefix: prefix });
      const ack = await sink.send([
        { deviceId: A, timestamp: '2026-03-01T10:00:00+00:00', value: 1 },
        { deviceId: B, timestamp: '2026-03-01T10:00:00+00:00', value: 2 },
        { deviceId: A, timestamp: '2026-03-01T10:10:00+00:00', value: 3 },
      ]);
      expect(ack).toEqual({ accepted: 3 });
      await waitUntil('two messages', () => seen.messages.length === 2);
      expect(seen.messages).toContainEqual({
        readings: [
          { timestamp: '2026-03-01T10:00:00+00:00', value: 1 },
          { timestamp: '2026-03-01T10:10:00+00:00', value: 3 },
        ],
      });
      expect(seen.messages).toContainEqual({
        readings: [{ timestamp: '2026-03-01T10:00:00+00:00', value: 2 }],
      });
      await expect(sink.send([{ deviceId: A, timestamp: 'yesterday', value: 1 }])).rejects.toBeInstanceOf(
        SinkRejectedError,
      );
    } finally {
      await seen.close();
    }
  });
});
