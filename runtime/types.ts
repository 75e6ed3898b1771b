/**
 * The contracts of the actor runtime. Everything that touches Redis sits behind
 * one of these small interfaces, with an in-memory implementation beside the
 * Redis one (runtime/memory/, runtime/redis/); one shared driver test suite runs
 * against both. The runtime knows nothing about devices or readings: a shard job
 * carries an opaque JSON payload that the application's handler interprets.
 */

/** One unit of work on a shard queue. `payload` is JSON-serialisable. */
export interface ShardJob<P = unknown> {
  /** Unique across all shards of one backend; the same on redelivery. */
  id: string;
  shard: number;
  payload: P;
  /** 1 on first delivery; higher on redelivery (after a failure or a crashed node). */
  attempt: number;
}

/**
 * A failure no retry can fix: a payload that is not what the application
 * queues, or data the database refuses whatever the state. A handler throws
 * it to have the driver move the job aside (kept, counted, listed by
 * `poisoned()`, put back by `requeuePoisoned()`) and go on with the jobs
 * behind it, instead of retrying it, and blocking its shard, for ever.
 */
export class PoisonJobError extends Error {
  readonly poison = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonJobError';
  }
}

export const isPoisonJob = (error: unknown): error is PoisonJobError =>
  error instanceof PoisonJobError || (error as { poison?: unknown } | null)?.poison === true;

/** A job moved aside as poison: what it carried, why, and when. */
export interface PoisonedJob<P = unknown> {
  id: string;
  shard: number;
  payload: P;
  reason: string;
  /** Epoch ms. */
  at: number;
}

/** Producer side of the shard queues, used by api nodes (and the simulator's --redis mode). */
export interface ShardQueueProducer {
  /**
   * Appends payloads to the queue of `shard`, in order. Resolves only once the
   * jobs are durable (Redis has acknowledged them, or the in-memory queue holds
   * them): the api answers 202 after this. Payloads are serialised by the
   * Redis driver but kept by reference in memory: do not mutate them after.
   */
  addBulk<P>(shard: number, payloads: P[]): Promise<void>;
  close(): Promise<void>;
}

export type ShardJobHandler<P = unknown> = (job: ShardJob<P>) => Promise<void>;

/** Consumer side: a node opens one consumer per shard it holds the lease of. */
export interface ShardQueueConsumer {
  /**
   * Starts processing `shard`'s queue one job at a time (concurrency 1, in
   * order). A job is acknowledged only after `handler` resolves; if it throws,
   * the job is retried later (never dropped). A job in flight on a node that
   * died is redelivered to the next consumer within seconds.
   *
   * Both drivers retry a failing job in place (capped backoff), so the jobs
   * behind it wait and order is kept; on close mid-retry the job goes back to
   * the head of the queue. A new consumer starts only when no job of the shard
   * is in flight elsewhere.
   *
   * A handler that throws a PoisonJobError has its job moved aside at once
   * (reported to the ErrorReporter with `where: 'poison job'`), and the next
   * job runs.
   */
  open<P>(shard: number, handler: ShardJobHandler<P>): ShardConsumer;
  /** The jobs of `shard` moved aside as poison, oldest first (at most `limit`, default 100). */
  poisoned<P = unknown>(shard: number, limit?: number): Promise<PoisonedJob<P>[]>;
  /** Puts the poisoned jobs of `shard` back at the tail of its queue; resolves to how many. */
  requeuePoisoned(shard: number): Promise<number>;
}

export interface ShardConsumer {
  /** Stops taking new jobs, waits for the one in flight, then resolves. */
  close(): Promise<void>;
  /**
   * Simulates the death of the process that holds this consumer: stops at once
   * without waiting for or acknowledging the job in flight, which is then
   * redelivered to the next consumer (for Redis, once its lock expires). For
   * tests and crash drills; optional so that other implementations need not
   * provide it.
   */
  kill?(): Promise<void>;
  /**
   * What the node's watchdog reads to notice a consumer that stopped
   * consuming (jobs waiting, none in flight, idle for long). Optional: the
   * in-memory driver cannot stall that way.
   */
  health?(): Promise<ShardConsumerHealth>;
}

export interface ShardConsumerHealth {
  /** Jobs of the shard ready to run. */
  waiting: number;
  /** A handler call is in flight (a job being worked on or retried in place). */
  busy: boolean;
  /** Milliseconds since a job last started or finished, or since the consumer opened. */
  idleMs: number;
  /** The consumer's loop has ended: it will never take a job again. */
  dead: boolean;
}

/** Runtime-node membership: heartbeats with a TTL. */
export interface Membership {
  /** Registers or refreshes `nodeId` as live for `ttlMs`. */
  heartbeat(nodeId: string, ttlMs: number): Promise<void>;
  leave(nodeId: string): Promise<void>;
  /** Node ids whose heartbeat has not expired, sorted. */
  liveNodes(): Promise<string[]>;
}

export interface LeaseGrant {
  shard: number;
  /** Strictly increasing per shard across all grants: the fencing token. */
  epoch: number;
}

/** Shard leases with a holder token and a per-shard fencing epoch. */
export interface LeaseStore {
  /**
   * Takes the lease if free or expired (or already held by `holder`); null if
   * someone else holds it. Every grant, a re-grant to the same holder
   * included, carries a higher epoch than any before it for that shard.
   */
  acquire(shard: number, holder: string, ttlMs: number): Promise<LeaseGrant | null>;
  /** Extends the lease if `holder` still holds it at `epoch`; false otherwise. */
  renew(shard: number, holder: string, epoch: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it at `epoch`. */
  release(shard: number, holder: string, epoch: number): Promise<void>;
  /** Current holder, or null when free/expired. */
  holderOf(shard: number): Promise<string | null>;
}

/**
 * Pushes events to Socket.IO rooms. The Redis implementation uses
 * @socket.io/redis-emitter (runtime nodes are not Socket.IO servers); the
 * in-memory one hands them to listeners in the same process (the gateway of
 * `ems start` subscribes).
 */
/** Where a failure nobody awaits happened: what was running, and its shard, job or actor when there is one. */
export interface FailureContext {
  where: string;
  shard?: number;
  jobId?: string;
  attempt?: number;
  actorId?: string;
}

/**
 * The one signature for reporting failures that have no caller to throw to
 * (background loops, queue handlers, actors told rather than asked): the
 * error, and where it happened. Drivers, the actor system and the shard
 * processor all take one; the composition root logs them.
 */
export type ErrorReporter = (error: unknown, context: FailureContext) => void;

export interface EventPublisher {
  /**
   * Sends `event` to the rooms. Never throws and never rejects: a failure is
   * reported to the publisher's ErrorReporter. What it returns says whether the
   * event left this process (false: Redis did not take it); callers that must
   * deliver at least once (the alert outbox) await it and retry on `false`,
   * everyone else may ignore it; anything but `false` (or a promise of it)
   * means sent.
   */
  emit(rooms: string[], event: string, payload: unknown): unknown;
}

/** The listening side of an in-process publisher (single-process mode: the gateway forwards what it hears). */
export interface EventSource {
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (rooms: string[], event: string, payload: unknown) => void): () => void;
}

export interface RuntimeDrivers {
  membership: Membership;
  leases: LeaseStore;
  producer: ShardQueueProducer;
  consumer: ShardQueueConsumer;
  events: EventPublisher;
  close(): Promise<void>;
}

/** What a runtime node does with the shards it owns; implemented by the application. */
export interface ShardHandler {
  /** After the lease is granted and before the consumer opens (the app fences its store with `epoch`). */
  onAcquired(shard: number, epoch: number): Promise<void>;
  /** After the consumer of a lost/released shard is closed (the app drops cached actors). */
  onReleased(shard: number): Promise<void>;
  /** Handles one job of an owned shard; throwing makes the queue retry it (a PoisonJobError: set it aside). */
  process(job: ShardJob, epoch: number): Promise<void>;
}

/** Timings of a runtime node's membership and lease loops, in milliseconds. */
export interface LeaseTimings {
  /** Lease duration granted on acquire and on every renew. Default 5000. */
  leaseMs: number;
  /** How often held leases are renewed. Default 1000. */
  renewEveryMs: number;
  /** How often the node refreshes its membership heartbeat. Default 1000. */
  heartbeatMs: number;
  /** How long a heartbeat keeps the node live; a node silent this long is dead. Default 4000. */
  nodeTtlMs: number;
  /** How often desired shards are recomputed and free ones acquired. Default 1000. */
  rebalanceEveryMs: number;
  /** Random extra delay (0..jitterMs) added to each loop tick so nodes do not move in lockstep. Default 200. */
  jitterMs: number;
  /**
   * A shard whose lease could not be renewed stops its consumer this long
   * before the lease would expire (by the local monotonic clock, counted from
   * when the last successful renew was sent). Default 1000.
   */
  stopMarginMs: number;
}
