/**
 * Shard queues on BullMQ. Queue `<queueName>-<shard>` (BullMQ forbids ':' in
 * queue names) lives under the BullMQ prefix = our key prefix.
 *
 * Producer: one Queue object per shard, created on first use and reused, all
 * on one shared ioredis connection; `addBulk` resolves once Redis has the jobs.
 *
 * Consumer: one Worker (concurrency 1) per owned shard. Lock timings are
 * lowered (lock 5 s, stall check every 2 s, unlimited stalls) so a job whose
 * node died goes back to the head of the wait list within seconds instead of
 * 30 s, and is never failed for stalling. A handler failure is retried in
 * place with a capped backoff, keeping the shard's order; if the consumer
 * closes meanwhile, the job is moved back to the head of the wait list for
 * the next owner. Nothing is ever moved to `failed` by design. A new consumer
 * starts only once no job of its shard is active elsewhere (see #start), so a
 * shard runs one job at a time across nodes and keeps its order over crashes.
 */
import { type Job, Queue, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_RETRY_BACKOFF, type RetryBackoff, retryDelayMs } from '../backoff.ts';
import type {
  ShardConsumer,
  ShardJob,
  ShardJobHandler,
  ShardQueueConsumer,
  ShardQueueProducer,
} from '../types.ts';
import type { RedisKeys } from './keys.ts';

export interface RedisQueueOptions {
  /** How long a worker's lock on its job lasts without renewal (a dead node's job is stuck this long). Default 5000. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired. Default 2000. */
  stalledIntervalMs?: number;
  /** In-place retry delays after a handler failure. Default 50 ms doubling to 2 s. */
  backoff?: RetryBackoff;
}

export type QueueErrorReporter = (error: unknown, context: string) => void;

const JOB_NAME = 'shard-job';
const BACKOFF_STRATEGY = 'capped-exponential';

/** Only used if a job leaves the worker through BullMQ's failure path (e.g. Redis errors mid-retry). */
const JOB_OPTIONS = {
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: BACKOFF_STRATEGY, delay: 100 },
  removeOnComplete: true,
  removeOnFail: false,
};

export class RedisShardProducer implements ShardQueueProducer {
  readonly #queues = new Map<number, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly keys: RedisKeys,
    private readonly onError: QueueErrorReporter,
  ) {}

  async addBulk<P>(shard: number, payloads: P[]): Promise<void> {
    if (payloads.length === 0) return;
    const queue = this.#queue(shard);
    // The api sends one job per shard per request: BullMQ's add is ~2× cheaper than a MULTI of one.
    if (payloads.length === 1) {
      await queue.add(JOB_NAME, payloads[0], JOB_OPTIONS);
      return;
    }
    await queue.addBulk(payloads.map((data) => ({ name: JOB_NAME, data, opts: JOB_OPTIONS })));
  }

  async close(): Promise<void> {
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.all(queues.map((queue) => queue.close()));
  }

  #queue(shard: number): Queue {
    let queue = this.#queues.get(shard);
    if (!queue) {
      queue = new Queue(this.keys.queueName(shard), {
        connection: this.connection,
        prefix: this.keys.bullPrefix,
        defaultJobOptions: JOB_OPTIONS,
      });
      queue.on('error', (error) => this.onError(error, `queue ${shard}`));
      this.#queues.set(shard, queue);
    }
    return queue;
  }
}

class RedisConsumer implements ShardConsumer {
  closing = false;
  killed = false;
  #wake: () => void = () => {};
  readonly #woken: Promise<void>;
  worker!: Worker;

  constructor() {
    this.#woken = new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Sleeps `ms`, or less if the consumer starts closing. */
  async pause(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), this.#woken]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.#wake();
    await this.worker.close();
  }

  async kill(): Promise<void> {
    this.closing = true;
    this.killed = true;
    this.#wake();
    await this.worker.close(true);
  }
}

export class RedisShardConsumers implements ShardQueueConsumer {
  readonly #open = new Set<RedisConsumer>();
  readonly #backoff: RetryBackoff;

  constructor(
    private readonly connection: Redis,
    private readonly keys: RedisKeys,
    private readonly options: RedisQueueOptions,
    private readonly onError: QueueErrorReporter,
  ) {
    this.#backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
  }

  open<P>(shard: number, handler: ShardJobHandler<P>): ShardConsumer {
    const consumer = new RedisConsumer();
    const process = (job: Job, token?: string) => this.#process(consumer, shard, handler, job, token);
    consumer.worker = new Worker(this.keys.queueName(shard), process, {
      connection: this.connection,
      prefix: this.keys.bullPrefix,
      concurrency: 1,
      autorun: false,
      lockDuration: this.options.lockDurationMs ?? 5000,
      stalledInterval: this.options.stalledIntervalMs ?? 2000,
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      removeOnComplete: { count: 0 },
      settings: {
        backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade, this.#backoff),
      },
    });
    consumer.worker.on('error', (error) => this.onError(error, `worker ${shard}`));
    this.#open.add(consumer);
    consumer.worker.on('closed', () => this.#open.delete(consumer));
    this.#start(consumer).catch((error) => this.onError(error, `worker ${shard}`));
    return consumer;
  }

  /**
   * Starts the worker once no other consumer has a job of this shard active.
   * BullMQ would otherwise take the next waiting job while a dead node's job
   * still sits locked in `active`, and run the two out of order; or run a job
   * beside one a slow previous owner is still finishing. The stalled checker
   * runs meanwhile, so a dead node's job returns to the head of the list once
   * its lock expires.
   */
  async #start(consumer: RedisConsumer): Promise<void> {
    const worker = consumer.worker;
    await worker.startStalledCheckTimer();
    const stalledIntervalMs = this.options.stalledIntervalMs ?? 2000;
    while (!consumer.closing && (await this.connection.llen(worker.keys.active!)) > 0) {
      await consumer.pause(Math.max(50, stalledIntervalMs / 2));
    }
    if (consumer.closing) return;
    await worker.run();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#open].map((consumer) => consumer.close()));
  }

  async #process<P>(
    consumer: RedisConsumer,
    shard: number,
    handler: ShardJobHandler<P>,
    job: Job,
    token: string | undefined,
  ): Promise<void> {
    for (let failures = 0; ; ) {
      const shardJob: ShardJob<P> = {
        id: `${shard}-${job.id}`, // BullMQ ids count per queue; ours are unique across shards
        shard,
        payload: job.data as P,
        attempt: Math.max(job.attemptsStarted, 1) + failures,
      };
      try {
        await handler(shardJob);
        return;
      } catch (error) {
        failures++;
        this.onError(error, `shard ${shard} job ${shardJob.id} attempt ${shardJob.attempt}`);
      }
      if (!consumer.closing) await consumer.pause(retryDelayMs(failures, this.#backoff));
      if (consumer.killed) throw new WaitingError(); // a dead node acknowledges nothing
      if (consumer.closing) {
        // Hand the job back at the head of the list so the next owner keeps the order.
        await job.moveToWait(token);
        throw new WaitingError();
      }
    }
  }
}
