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
 * the next owner. Only a poison job (the handler threw a PoisonJobError: no
 * retry can fix it) is moved to BullMQ's `failed` set, where it is kept for
 * `poisoned()` and `requeuePoisoned()`; nothing else ever is. A new consumer
 * starts only once no job of its shard is active elsewhere (see #start), so a
 * shard runs one job at a time across nodes and keeps its order over crashes.
 *
 * Outages: a consumer's close never waits on a Redis that is away (see
 * RedisConsumer.close: BullMQ's graceful close hung for ever there, and with
 * it the shard), a job handed back while Redis is away returns through the
 * stalled check instead, and `health()` lets the node's watchdog notice a
 * consumer that stopped taking jobs.
 */
import { type Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { DEFAULT_RETRY_BACKOFF, type RetryBackoff, retryDelayMs } from '../backoff.ts';
import {
  type ErrorReporter,
  type FailureContext,
  isPoisonJob,
  type PoisonedJob,
  type ShardConsumer,
  type ShardConsumerHealth,
  type ShardJob,
  type ShardJobHandler,
  type ShardQueueConsumer,
  type ShardQueueProducer,
} from '../types.ts';
import type { RedisClient } from './connect.ts';
import type { RedisKeys } from './keys.ts';

export interface RedisQueueOptions {
  /** How long a worker's lock on its job lasts without renewal (a dead node's job is stuck this long). Default 5000. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired. Default 2000. */
  stalledIntervalMs?: number;
  /** In-place retry delays after a handler failure. Default 50 ms doubling to 2 s. */
  backoff?: RetryBackoff;
  /** Longest a consumer's close waits for the job in flight or for Redis before giving the worker up. Default 5000. */
  closeGraceMs?: number;
}

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
    private readonly connection: RedisClient,
    private readonly keys: RedisKeys,
    private readonly onError: ErrorReporter,
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
        prefix: this.keys.bullPrefix(shard),
        defaultJobOptions: JOB_OPTIONS,
      });
      queue.on('error', (error) => this.onError(error, { where: 'shard queue', shard }));
      this.#queues.set(shard, queue);
    }
    return queue;
  }
}

/** Settles to true if `promise` settles within `ms`, false otherwise (it keeps running). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([
    settled,
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return result;
}

class RedisConsumer implements ShardConsumer {
  closing = false;
  killed = false;
  #wake: () => void = () => {};
  readonly #woken: Promise<void>;
  worker!: Worker;
  /** The handler call in flight (our side of the job), if any. */
  inFlight: Promise<unknown> | null = null;
  /** Last time (monotonic ms) a job started or finished, or the consumer opened. */
  lastActivityAt = performance.now();
  /** Set once the worker's run loop has ended or failed: the consumer will never take a job again. */
  dead: Error | null = null;

  constructor(
    private readonly connection: RedisClient,
    private readonly graceMs: number,
    private readonly onError: ErrorReporter,
    private readonly context: FailureContext,
  ) {
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

  /**
   * Graceful when Redis answers: BullMQ finishes the job in flight and
   * acknowledges it. Not when it does not: BullMQ's graceful close disconnects
   * the blocking connection and waits for its 'end' event, which ioredis never
   * emits if the connection is waiting to reconnect, so the close (and the
   * shard hand-over behind it) would hang forever — that was the outage bug.
   * Then we wait only for our own handler call and force-close; a job whose
   * acknowledgement did not land stays active until its lock expires and is
   * redelivered (readings are deduplicated, so it does not count twice).
   */
  async close(): Promise<void> {
    this.closing = true;
    this.#wake();
    if (await this.#redisReady()) {
      const graceful = this.worker.close();
      if (await within(graceful, this.graceMs)) return graceful;
      this.onError(
        new Error(`worker close did not finish in ${this.graceMs} ms; abandoning it`),
        this.context,
      );
      return;
    }
    if (this.inFlight) await within(this.inFlight, this.graceMs);
    await this.worker.close(true);
  }

  async kill(): Promise<void> {
    this.closing = true;
    this.killed = true;
    this.#wake();
    await this.worker.close(true);
  }

  async #redisReady(): Promise<boolean> {
    if (this.connection.status !== 'ready') return false;
    let blocking: { status?: string } | undefined;
    const client = this.worker.backend.blockingClient as Promise<{ status?: string }> | undefined;
    if (!client) return true;
    await within(
      client.then((c) => {
        blocking = c;
      }),
      100,
    );
    return blocking?.status === 'ready';
  }
}

export class RedisShardConsumers implements ShardQueueConsumer {
  readonly #open = new Set<RedisConsumer>();
  readonly #backoff: RetryBackoff;

  constructor(
    private readonly connection: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RedisQueueOptions,
    private readonly onError: ErrorReporter,
  ) {
    this.#backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
  }

  open<P>(shard: number, handler: ShardJobHandler<P>): ShardConsumer {
    const context: FailureContext = { where: 'shard worker', shard };
    const consumer = new RedisConsumer(
      this.connection,
      this.options.closeGraceMs ?? 5000,
      this.onError,
      context,
    );
    const process = (job: Job, token?: string) => this.#process(consumer, shard, handler, job, token);
    consumer.worker = new Worker(this.keys.queueName(shard), process, {
      connection: this.connection,
      prefix: this.keys.bullPrefix(shard),
      concurrency: 1,
      autorun: false,
      lockDuration: this.options.lockDurationMs ?? 5000,
      stalledInterval: this.options.stalledIntervalMs ?? 2000,
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      // BullMQ waits this long after a failed fetch before trying again (default 15 s): after an
      // outage a shard would sit idle that long with jobs waiting.
      runRetryDelay: 500,
      removeOnComplete: { count: 0 },
      settings: {
        backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade, this.#backoff),
      },
    });
    consumer.worker.on('error', (error) => this.onError(error, context));
    this.#open.add(consumer);
    consumer.worker.on('closed', () => this.#open.delete(consumer));
    this.#start(consumer).then(
      () => {
        if (!consumer.closing) consumer.dead = new Error(`worker ${shard} stopped running on its own`);
      },
      (error: unknown) => {
        consumer.dead = error instanceof Error ? error : new Error(String(error));
        this.onError(error, context);
      },
    );
    const health = async (): Promise<ShardConsumerHealth> => ({
      waiting: await this.connection.llen(consumer.worker.keys.wait!),
      busy: consumer.inFlight !== null,
      idleMs: performance.now() - consumer.lastActivityAt,
      dead: consumer.dead !== null,
    });
    return Object.assign(consumer, { health });
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
    consumer.lastActivityAt = performance.now();
    await worker.run();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#open].map((consumer) => consumer.close()));
    const queues = [...this.#admin.values()];
    this.#admin.clear();
    await Promise.all(queues.map((queue) => queue.close()));
  }

  async poisoned<P = unknown>(shard: number, limit = 100): Promise<PoisonedJob<P>[]> {
    const jobs = await this.#adminQueue(shard).getJobs(['failed'], 0, limit - 1, true);
    return jobs.map((job) => ({
      id: `${shard}-${job.id}`,
      shard,
      payload: job.data as P,
      reason: job.failedReason,
      at: job.finishedOn ?? job.timestamp,
    }));
  }

  async requeuePoisoned(shard: number): Promise<number> {
    const queue = this.#adminQueue(shard);
    const count = await queue.getFailedCount();
    if (count > 0) await queue.retryJobs({ state: 'failed', count: 1000 });
    return count;
  }

  /** A Queue handle per shard for reading and requeueing its poisoned jobs (no worker). */
  readonly #admin = new Map<number, Queue>();
  #adminQueue(shard: number): Queue {
    let queue = this.#admin.get(shard);
    if (!queue) {
      queue = new Queue(this.keys.queueName(shard), {
        connection: this.connection,
        prefix: this.keys.bullPrefix(shard),
      });
      queue.on('error', (error) => this.onError(error, { where: 'shard queue', shard }));
      this.#admin.set(shard, queue);
    }
    return queue;
  }

  async #process<P>(
    consumer: RedisConsumer,
    shard: number,
    handler: ShardJobHandler<P>,
    job: Job,
    token: string | undefined,
  ): Promise<void> {
    if (consumer.closing) {
      // Fetched as the consumer closed: hand it straight back, keeping the order.
      await this.#handBack(shard, job, token);
    }
    consumer.lastActivityAt = performance.now();
    try {
      for (let failures = 0; ; ) {
        const shardJob: ShardJob<P> = {
          id: `${shard}-${job.id}`, // BullMQ ids count per queue; ours are unique across shards
          shard,
          payload: job.data as P,
          attempt: Math.max(job.attemptsStarted, 1) + failures,
        };
        const call = handler(shardJob);
        consumer.inFlight = call;
        try {
          await call;
          return;
        } catch (error) {
          failures++;
          const poison = isPoisonJob(error);
          this.onError(error, {
            where: poison ? 'poison job' : 'shard job',
            shard,
            jobId: shardJob.id,
            attempt: shardJob.attempt,
          });
          // BullMQ moves it to `failed` (kept: removeOnFail is off) and fetches the next job.
          if (poison) throw new UnrecoverableError(error.message);
        } finally {
          consumer.inFlight = null;
        }
        if (!consumer.closing) await consumer.pause(retryDelayMs(failures, this.#backoff));
        if (consumer.killed) throw new WaitingError(); // a dead node acknowledges nothing
        if (consumer.closing) await this.#handBack(shard, job, token);
      }
    } finally {
      consumer.lastActivityAt = performance.now();
    }
  }

  /**
   * Puts the job back at the head of the wait list for the next owner, so the
   * order is kept. Bounded: with Redis away the move cannot land, and the job
   * then returns through the stalled check once its lock expires.
   */
  async #handBack(shard: number, job: Job, token: string | undefined): Promise<never> {
    const moved = job
      .moveToWait(token)
      .catch((error) => this.onError(error, { where: 'hand back job', shard }));
    await within(moved, this.options.closeGraceMs ?? 5000);
    throw new WaitingError();
  }
}
