/**
 * In-process shard queues: one FIFO per shard, consumed one job at a time. A
 * job leaves its queue only when a handler has resolved for it; a failure
 * keeps it at the head and retries it after a capped exponential backoff, so
 * order is kept and nothing is dropped. "Durable" here means "held by this
 * process": the single-process mode accepts that a crash loses queued jobs,
 * exactly as it loses the process.
 */
import { DEFAULT_RETRY_BACKOFF, type RetryBackoff, retryDelayMs } from '../backoff.ts';
import {
  type ErrorReporter,
  isPoisonJob,
  type PoisonedJob,
  type ShardConsumer,
  type ShardJob,
  type ShardJobHandler,
  type ShardQueueConsumer,
  type ShardQueueProducer,
} from '../types.ts';

export interface MemoryShardQueuesOptions {
  backoff?: RetryBackoff;
  /** Called with every handler failure (the job will be retried). */
  onError?: ErrorReporter;
}

interface Delivery {
  consumer: MemoryConsumer;
  done: Promise<void>;
}

class ShardQueue {
  readonly jobs: ShardJob[] = [];
  head = 0;
  readonly consumers: MemoryConsumer[] = [];
  /** Jobs moved aside as poison, oldest first. */
  readonly poisoned: PoisonedJob[] = [];
  inFlight: Delivery | null = null;
  retryTimer: ReturnType<typeof setTimeout> | null = null;
  constructor(readonly shard: number) {}

  get pending(): number {
    return this.jobs.length - this.head;
  }
}

class MemoryConsumer implements ShardConsumer {
  constructor(
    readonly queue: ShardQueue,
    readonly handler: ShardJobHandler<unknown>,
    private readonly queues: MemoryShardQueues,
  ) {}

  async close(): Promise<void> {
    this.#detach();
    const inFlight = this.queue.inFlight;
    if (inFlight?.consumer === this) await inFlight.done;
  }

  async kill(): Promise<void> {
    this.#detach();
    if (this.queue.inFlight?.consumer === this) this.queues.abandon(this.queue);
  }

  #detach(): void {
    const index = this.queue.consumers.indexOf(this);
    if (index >= 0) this.queue.consumers.splice(index, 1);
  }
}

const COMPACT_AFTER = 1024;

export class MemoryShardQueues implements ShardQueueProducer, ShardQueueConsumer {
  readonly #queues = new Map<number, ShardQueue>();
  readonly #backoff: RetryBackoff;
  readonly #onError: ErrorReporter;
  #sequence = 0;

  constructor(options: MemoryShardQueuesOptions = {}) {
    this.#backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
    this.#onError = options.onError ?? (() => {});
  }

  async addBulk<P>(shard: number, payloads: P[]): Promise<void> {
    const queue = this.#queue(shard);
    for (const payload of payloads) {
      queue.jobs.push({ id: `${shard}-${++this.#sequence}`, shard, payload, attempt: 1 });
    }
    this.#pump(queue);
  }

  open<P>(shard: number, handler: ShardJobHandler<P>): ShardConsumer {
    const queue = this.#queue(shard);
    const consumer = new MemoryConsumer(queue, handler as ShardJobHandler<unknown>, this);
    queue.consumers.push(consumer);
    this.#pump(queue);
    return consumer;
  }

  async poisoned<P = unknown>(shard: number, limit = 100): Promise<PoisonedJob<P>[]> {
    return (this.#queues.get(shard)?.poisoned.slice(0, limit) ?? []) as PoisonedJob<P>[];
  }

  async requeuePoisoned(shard: number): Promise<number> {
    const queue = this.#queues.get(shard);
    if (!queue) return 0;
    const jobs = queue.poisoned.splice(0);
    for (const { id, payload } of jobs) queue.jobs.push({ id, shard, payload, attempt: 1 });
    this.#pump(queue);
    return jobs.length;
  }

  /** Jobs of `shard` not yet acknowledged (including the one in flight). */
  pending(shard: number): number {
    return this.#queues.get(shard)?.pending ?? 0;
  }

  /** Closes every consumer (waiting for jobs in flight) and stops retry timers; queued jobs stay. */
  async close(): Promise<void> {
    const consumers = [...this.#queues.values()].flatMap((queue) => queue.consumers);
    await Promise.all(consumers.map((consumer) => consumer.close()));
    for (const queue of this.#queues.values()) {
      if (queue.retryTimer) clearTimeout(queue.retryTimer);
      queue.retryTimer = null;
    }
  }

  /** The consumer of the job in flight died: forget its delivery and hand the job to the next consumer. */
  abandon(queue: ShardQueue): void {
    queue.inFlight = null;
    queue.jobs[queue.head]!.attempt++;
    this.#pump(queue);
  }

  #queue(shard: number): ShardQueue {
    let queue = this.#queues.get(shard);
    if (!queue) {
      queue = new ShardQueue(shard);
      this.#queues.set(shard, queue);
    }
    return queue;
  }

  #pump(queue: ShardQueue): void {
    if (queue.inFlight || queue.retryTimer || queue.pending === 0) return;
    const consumer = queue.consumers[0];
    if (!consumer) return;
    const job = queue.jobs[queue.head]!;
    const delivery: Delivery = { consumer, done: Promise.resolve() };
    queue.inFlight = delivery;
    delivery.done = this.#deliver(queue, delivery, job);
  }

  async #deliver(queue: ShardQueue, delivery: Delivery, job: ShardJob): Promise<void> {
    // Yield so that the producer's addBulk never runs a handler in its own call stack.
    await null;
    let failure: { error: unknown } | null = null;
    try {
      await delivery.consumer.handler({ ...job });
    } catch (error) {
      failure = { error };
    }
    // A killed consumer's late result must not acknowledge a job that was handed on.
    if (queue.inFlight !== delivery) return;
    queue.inFlight = null;
    if (!failure) {
      this.#acknowledgeHead(queue);
      this.#pump(queue);
      return;
    }
    const poison = isPoisonJob(failure.error);
    this.#onError(failure.error, {
      where: poison ? 'poison job' : 'shard job',
      shard: queue.shard,
      jobId: job.id,
      attempt: job.attempt,
    });
    if (poison) {
      const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
      queue.poisoned.push({ id: job.id, shard: queue.shard, payload: job.payload, reason, at: Date.now() });
      this.#acknowledgeHead(queue);
      this.#pump(queue);
      return;
    }
    job.attempt++;
    queue.retryTimer = setTimeout(
      () => {
        queue.retryTimer = null;
        this.#pump(queue);
      },
      retryDelayMs(job.attempt - 1, this.#backoff),
    );
  }

  #acknowledgeHead(queue: ShardQueue): void {
    queue.jobs[queue.head] = undefined as unknown as ShardJob;
    queue.head++;
    if (queue.head >= COMPACT_AFTER && queue.head * 2 >= queue.jobs.length) {
      queue.jobs.splice(0, queue.head);
      queue.head = 0;
    }
  }
}
