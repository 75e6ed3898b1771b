/**
 * Group commit for MQTT messages: the messages that arrive while one enqueue
 * is in flight are appended together by the next one (one job per shard for
 * all of them), so K broker connections cost about one Redis round trip per
 * batch instead of one per message. A message's promise resolves only when
 * the enqueue that carried its readings resolved: the caller acknowledges to
 * the broker then, never before (durable exactly as a 202 is).
 */
import type { ShardQueueProducer } from '../../runtime/types.ts';
import { enqueueReadings } from '../readings/enqueue.ts';
import type { Reading } from '../readings/schema.ts';

interface Pending {
  readings: readonly Reading[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class EnqueueBatcher {
  readonly #producer: ShardQueueProducer;
  readonly #shards: number;
  #pending: Pending[] = [];
  #flushing = false;

  constructor(producer: ShardQueueProducer, shards: number) {
    this.#producer = producer;
    this.#shards = shards;
  }

  enqueue(readings: readonly Reading[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ readings, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        try {
          // Message order is kept within the batch, so a device's readings stay in order per shard.
          await enqueueReadings(
            this.#producer,
            batch.flatMap((p) => p.readings),
            this.#shards,
          );
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}
