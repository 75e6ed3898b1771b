/**
 * `RedisSink` (`ems simulate --redis URL`): puts batches straight on the shard
 * queues, skipping the api, for load tests of the runtime alone. A batch is
 * checked with the api's own schema (`ReadingsBody`) and refused the way the
 * api refuses it (400 `invalid_request`, one detail per bad field), then
 * grouped per shard exactly as the api groups it (`enqueueReadings`).
 *
 * What it cannot check: that a device exists (that needs the database). The
 * runtime drops readings of unknown devices, so a wrong id is lost silently —
 * create devices first (or with `--create`). The prefix and shard count must
 * match the servers' `EMS_REDIS_PREFIX` and `EMS_SHARDS`, or readings land on
 * queues nobody consumes, or on the wrong shard's actor.
 */

import { SHARD_QUEUE_NAME } from '../actors/messages.ts';
import { invalid } from '../api/errors.ts';
import { enqueueReadings } from '../api/readings/enqueue.ts';
import { ReadingsBody } from '../api/readings/schema.ts';
import { createRedisDrivers, type RedisDrivers } from '../runtime/redis/index.ts';
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy, sleep } from './backoff.ts';
import type { Reading, ReadingSink, SinkAck, SinkRetryOptions } from './sink.ts';
import { SinkRejectedError } from './sink.ts';

export interface RedisSinkOptions extends SinkRetryOptions {
  /** redis://… of the deployment's Redis. */
  url: string;
  /** Key prefix of the deployment (`EMS_REDIS_PREFIX`). Default 'ems'. */
  prefix?: string;
  /** Shard count of the deployment (`EMS_SHARDS`). Default 64. */
  shards?: number;
}

export class RedisSink implements ReadingSink {
  readonly #drivers: RedisDrivers;
  readonly #shards: number;
  readonly #policy: RetryPolicy;
  #lastConnectionError: string | undefined;

  constructor(private readonly options: RedisSinkOptions) {
    this.#shards = options.shards ?? 64;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#drivers = createRedisDrivers({
      url: options.url,
      prefix: options.prefix,
      queueName: SHARD_QUEUE_NAME,
      // Connection errors surface as the reason of the retry they cause, not as unhandled events.
      onError: (error) => {
        this.#lastConnectionError = error instanceof Error ? error.message : String(error);
      },
    });
  }

  async send(readings: readonly Reading[], signal?: AbortSignal): Promise<SinkAck> {
    const parsed = ReadingsBody.safeParse({ readings });
    if (!parsed.success) {
      const refusal = invalid(parsed.error, 'body');
      throw new SinkRejectedError(refusal.status, refusal.code, refusal.message, refusal.details);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await enqueueReadings(this.#drivers.producer, parsed.data.readings, this.#shards);
        return { accepted: readings.length };
      } catch (error) {
        // Some shards may already hold their job: resending all is safe (deduplicated by device and time).
        const reason = `redis: ${this.#lastConnectionError ?? (error instanceof Error ? error.message : String(error))}`;
        this.#lastConnectionError = undefined;
        if (attempt >= this.#policy.maxAttempts) {
          throw new Error(`gave up after ${attempt} attempts (last: ${reason})`);
        }
        const delayMs = backoffDelay(attempt, this.#policy, this.options.random);
        this.options.onRetry?.({ attempt, delayMs, reason });
        await sleep(delayMs, signal);
      }
    }
  }

  close(): Promise<void> {
    return this.#drivers.close();
  }
}
