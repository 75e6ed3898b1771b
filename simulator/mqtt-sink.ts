/**
 * `MqttSink` (`ems simulate --mqtt URL`): publishes each batch to the broker
 * the api nodes ingest from, one QoS 1 message per device on
 * `ems/devices/<deviceId>/readings` (`{readings: [{timestamp, value}]}`), so
 * the simulator can drive the MQTT path end to end. A batch is checked with
 * the api's own schema first and refused the way the api refuses it.
 *
 * What an acknowledgement means here: the broker's PUBACK, i.e. the broker
 * holds the message; the api acknowledges it to the broker only once durable.
 * A message EMS refuses (an unknown device, say) is explained on
 * `ems/devices/<deviceId>/errors`, not to the publisher; MQTT has no reply.
 */
import { connect, type MqttClient } from 'mqtt';
import { invalid } from '../api/errors.ts';
import { mqttTopics } from '../api/mqtt/topics.ts';
import { ReadingsBody } from '../api/readings/schema.ts';
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy, sleep } from './backoff.ts';
import type { Reading, ReadingSink, SinkAck, SinkRetryOptions } from './sink.ts';
import { SinkRejectedError } from './sink.ts';

export interface MqttSinkOptions extends SinkRetryOptions {
  /** mqtt://… of the broker the api nodes subscribe to (their EMS_MQTT_URL). */
  url: string;
  /** The servers' EMS_MQTT_TOPIC_PREFIX. Default '' (none). */
  topicPrefix?: string;
}

export class MqttSink implements ReadingSink {
  readonly #client: MqttClient;
  readonly #policy: RetryPolicy;
  readonly #topics;

  constructor(private readonly options: MqttSinkOptions) {
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#topics = mqttTopics(options.topicPrefix ?? '');
    this.#client = connect(options.url, { protocolVersion: 5, reconnectPeriod: 1000, connectTimeout: 5000 });
    // Connection errors surface as the reasons of the retries they cause.
    this.#client.on('error', () => {});
  }

  async send(readings: readonly Reading[], signal?: AbortSignal): Promise<SinkAck> {
    const parsed = ReadingsBody.safeParse({ readings });
    if (!parsed.success) {
      const refusal = invalid(parsed.error, 'body');
      throw new SinkRejectedError(refusal.status, refusal.code, refusal.message, refusal.details);
    }
    const byDevice = new Map<string, Array<{ timestamp: string; value: number }>>();
    for (const r of readings) {
      const list = byDevice.get(r.deviceId) ?? [];
      list.push({ timestamp: r.timestamp, value: r.value });
      byDevice.set(r.deviceId, list);
    }
    let pending = [...byDevice];
    for (let attempt = 1; ; attempt++) {
      const results = await Promise.allSettled(
        pending.map(([id, items]) =>
          this.#client.publishAsync(this.#topics.readingsOf(id), JSON.stringify({ readings: items }), {
            qos: 1,
          }),
        ),
      );
      // Only the devices whose message the broker did not acknowledge are sent again.
      const failed = pending.filter((_, i) => results[i]!.status === 'rejected');
      if (failed.length === 0) return { accepted: readings.length };
      const first = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      const reason = `mqtt: ${first.reason instanceof Error ? first.reason.message : String(first.reason)}`;
      if (attempt >= this.#policy.maxAttempts)
        throw new Error(`gave up after ${attempt} attempts (last: ${reason})`);
      const delayMs = backoffDelay(attempt, this.#policy, this.options.random);
      this.options.onRetry?.({ attempt, delayMs, reason });
      await sleep(delayMs, signal);
      pending = failed;
    }
  }

  async close(): Promise<void> {
    await this.#client.endAsync();
  }
}
