/**
 * One runtime node: it keeps a membership heartbeat, works out by rendezvous
 * hashing which shards it should own among the live nodes, takes their
 * leases, opens one queue consumer per owned shard and hands jobs to the
 * application's ShardHandler with the lease's fencing epoch.
 *
 * Ownership moves safely: a shard no longer desired is given up in the order
 * consumer closed → onReleased → lease released, so its rightful owner can
 * take it; a dead node's shards become free when its leases expire. A node
 * that cannot renew a lease in time (judged on the local monotonic clock)
 * stops that shard's consumer before the lease expires; the epoch also fences
 * the store against any write that still slips through.
 *
 * Background loops never throw: failures are emitted as 'error' events (and
 * logged), and a loop carries on at its next tick.
 */
import { EventEmitter } from 'node:events';
import { desiredShards } from './placement.ts';
import type { LeaseTimings, RuntimeDrivers, ShardConsumer, ShardHandler } from './types.ts';

export const DEFAULT_LEASE_TIMINGS: Readonly<LeaseTimings> = {
  leaseMs: 5000,
  renewEveryMs: 1000,
  heartbeatMs: 1000,
  nodeTtlMs: 4000,
  rebalanceEveryMs: 1000,
  jitterMs: 200,
  stopMarginMs: 1000,
};

/** Why a node gave a shard up. */
export type ShardLossReason = 'rebalanced' | 'renew-rejected' | 'renew-deadline' | 'stalled' | 'stopping';

/** The consumer watchdog: how often it looks, and how long a consumer may sit idle with jobs waiting. */
export interface WatchdogTimings {
  /** Default 5000. */
  everyMs: number;
  /** Default 15 000: well above a new consumer's wait for a dead node's job lock to expire. */
  stallMs: number;
}

export const DEFAULT_WATCHDOG: Readonly<WatchdogTimings> = { everyMs: 5000, stallMs: 15_000 };

export type RuntimeNodeEvents = {
  acquired: [shard: number, epoch: number];
  lost: [shard: number, reason: ShardLossReason];
  /** The watchdog found the shard's consumer not consuming while jobs wait; it is being restarted. */
  stalled: [shard: number, waiting: number];
  error: [error: Error];
};

/** The subset of a pino logger the node uses. */
export interface RuntimeLogger {
  info(data: object, message: string): void;
  warn(data: object, message: string): void;
  error(data: object, message: string): void;
}

export interface RuntimeNodeOptions {
  nodeId: string;
  /** Shard count; every node and api must agree. */
  shards: number;
  drivers: RuntimeDrivers;
  handler: ShardHandler;
  timings?: Partial<LeaseTimings>;
  log?: RuntimeLogger;
  /** Longest `stop()` waits for jobs in flight before abandoning them (they are redelivered). Default 15 000. */
  stopTimeoutMs?: number;
  watchdog?: Partial<WatchdogTimings>;
}

/** What /readyz and /metrics report about the node's consumers. */
export interface RuntimeNodeHealth {
  /** Shards the watchdog found stalled and that are not yet consuming again. */
  stalledShards: number[];
  /** Consumers restarted by the watchdog since the node started. */
  consumerRestarts: number;
}

interface OwnedShard {
  readonly shard: number;
  phase: 'acquiring' | 'held' | 'releasing';
  epoch: number;
  /** Local monotonic time by which the lease may have expired (send time of the last grant/renew + leaseMs). */
  expiresAt: number;
  consumer: ShardConsumer | null;
  renewing: boolean;
  released: Promise<void> | null;
}

type NodeState = 'new' | 'running' | 'stopping' | 'stopped' | 'dead';

export class RuntimeNode extends EventEmitter<RuntimeNodeEvents> {
  readonly nodeId: string;
  readonly shards: number;
  readonly timings: Readonly<LeaseTimings>;
  readonly #drivers: RuntimeDrivers;
  readonly #handler: ShardHandler;
  readonly #log: RuntimeLogger | undefined;
  readonly #stopTimeoutMs: number;
  readonly #watchdog: Readonly<WatchdogTimings>;
  readonly #stalled = new Set<number>();
  #consumerRestarts = 0;
  /** Failures logged per context kind in the current window, to keep an outage from flooding the log. */
  readonly #failureLog = new Map<string, { since: number; suppressed: number }>();
  readonly #owned = new Map<number, OwnedShard>();
  readonly #transitions = new Set<Promise<void>>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #state: NodeState = 'new';
  #stopped: Promise<void> | null = null;

  constructor(options: RuntimeNodeOptions) {
    super();
    this.nodeId = options.nodeId;
    this.shards = options.shards;
    this.timings = { ...DEFAULT_LEASE_TIMINGS, ...options.timings };
    this.#drivers = options.drivers;
    this.#handler = options.handler;
    this.#log = options.log;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
    this.#watchdog = { ...DEFAULT_WATCHDOG, ...options.watchdog };
    const t = this.timings;
    // A renew must be able to land before the stop margin, or every shard would be dropped after one lease.
    if (t.renewEveryMs + t.jitterMs >= t.leaseMs - t.stopMarginMs) {
      throw new RangeError('lease timings: renewEveryMs + jitterMs must be below leaseMs - stopMarginMs');
    }
  }

  /** Shards whose consumer is open on this node, ascending. */
  ownedShards(): number[] {
    return [...this.#owned.values()]
      .filter((owned) => owned.phase === 'held')
      .map((owned) => owned.shard)
      .sort((a, b) => a - b);
  }

  /** The fencing epoch this node holds `shard` at, or null. */
  epochOf(shard: number): number | null {
    const owned = this.#owned.get(shard);
    return owned?.phase === 'held' ? owned.epoch : null;
  }

  health(): RuntimeNodeHealth {
    return {
      stalledShards: [...this.#stalled].sort((a, b) => a - b),
      consumerRestarts: this.#consumerRestarts,
    };
  }

  get state(): NodeState {
    return this.#state;
  }

  /** Joins the cluster and takes the shards that are free and desired; resolves when those are open. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`runtime node ${this.nodeId} cannot start twice`);
    this.#state = 'running';
    await this.#heartbeat();
    await this.#rebalance();
    await Promise.allSettled([...this.#transitions]);
    const t = this.timings;
    this.#every(t.heartbeatMs, () => this.#heartbeat());
    this.#every(t.renewEveryMs, () => this.#renewAll());
    this.#every(t.rebalanceEveryMs, () => this.#rebalance());
    this.#every(Math.max(20, Math.min(250, t.stopMarginMs / 4)), () => this.#enforceDeadlines(), false);
    this.#every(this.#watchdog.everyMs, () => this.#watch(), false);
    this.#log?.info({ nodeId: this.nodeId, shards: this.ownedShards().length }, 'runtime node started');
  }

  /**
   * Leaves gracefully: leaves membership (so peers start taking shards at
   * once), then for each shard closes its consumer (waiting for the job in
   * flight), calls onReleased and releases the lease. Bounded by
   * `stopTimeoutMs`, after which remaining consumers are abandoned.
   */
  stop(): Promise<void> {
    if (this.#state === 'new' || this.#state === 'dead') this.#state = 'stopped';
    if (this.#state === 'stopped') return Promise.resolve();
    this.#stopped ??= this.#drain();
    return this.#stopped;
  }

  /**
   * Test and drill helper: the process "dies". Loops halt and consumers are
   * abandoned without acknowledging their jobs; leases and membership are
   * left to expire, as after a SIGKILL.
   */
  async kill(): Promise<void> {
    this.#state = 'dead';
    this.#clearTimers();
    const consumers = [...this.#owned.values()].map((owned) => owned.consumer);
    this.#owned.clear();
    await Promise.allSettled(
      consumers.map((consumer) => (consumer?.kill ?? consumer?.close)?.call(consumer)),
    );
  }

  async #drain(): Promise<void> {
    this.#state = 'stopping';
    this.#clearTimers();
    const drained = (async () => {
      // Leave first so that peers start taking each shard as soon as it is released.
      await this.#attempt('leave membership', () => this.#drivers.membership.leave(this.nodeId));
      await Promise.allSettled([...this.#transitions]);
      await Promise.allSettled([...this.#owned.values()].map((owned) => this.#lose(owned, 'stopping')));
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.#stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#fail(new Error(`runtime node ${this.nodeId}: stop timed out, abandoning jobs in flight`));
      await this.kill();
    }
    this.#state = 'stopped';
    this.#log?.info({ nodeId: this.nodeId }, 'runtime node stopped');
  }

  async #heartbeat(): Promise<void> {
    await this.#attempt('heartbeat', () =>
      this.#drivers.membership.heartbeat(this.nodeId, this.timings.nodeTtlMs),
    );
  }

  async #rebalance(): Promise<void> {
    let live: string[];
    try {
      live = await this.#drivers.membership.liveNodes();
    } catch (error) {
      this.#fail(error, 'list live nodes');
      return;
    }
    if (this.#state !== 'running') return;
    // We are alive whatever a late heartbeat says; counting ourselves keeps us from dropping every shard.
    if (!live.includes(this.nodeId)) live.push(this.nodeId);
    const desired = new Set(desiredShards(this.nodeId, live, this.shards));
    for (const shard of desired) {
      if (!this.#owned.has(shard)) this.#track(this.#acquire(shard));
    }
    for (const owned of this.#owned.values()) {
      if (owned.phase === 'held' && !desired.has(owned.shard)) this.#track(this.#lose(owned, 'rebalanced'));
    }
  }

  async #acquire(shard: number): Promise<void> {
    const owned: OwnedShard = {
      shard,
      phase: 'acquiring',
      epoch: 0,
      expiresAt: 0,
      consumer: null,
      renewing: false,
      released: null,
    };
    this.#owned.set(shard, owned);
    const forget = () => {
      if (this.#owned.get(shard) === owned) this.#owned.delete(shard);
    };
    const sentAt = performance.now();
    const grant = await this.#attempt(`acquire shard ${shard}`, () =>
      this.#drivers.leases.acquire(shard, this.nodeId, this.timings.leaseMs),
    );
    if (!grant) return forget();
    owned.epoch = grant.epoch;
    owned.expiresAt = sentAt + this.timings.leaseMs;
    const giveBack = async () => {
      forget();
      await this.#attempt(`release shard ${shard}`, () =>
        this.#drivers.leases.release(shard, this.nodeId, grant.epoch),
      );
    };
    if (this.#is('dead')) return;
    if (!this.#is('running')) return giveBack();
    try {
      await this.#handler.onAcquired(shard, grant.epoch);
    } catch (error) {
      // Released now, retried at a later rebalance.
      this.#fail(error, `onAcquired shard ${shard}`);
      return giveBack();
    }
    if (this.#is('dead')) return;
    if (!this.#is('running')) {
      await this.#attempt(`onReleased shard ${shard}`, () => this.#handler.onReleased(shard));
      return giveBack();
    }
    owned.consumer = this.#drivers.consumer.open(shard, async (job) => {
      try {
        await this.#handler.process(job, grant.epoch);
      } catch (error) {
        // Reported here, retried by the queue.
        this.#fail(error, `process job ${job.id} of shard ${shard} (attempt ${job.attempt})`);
        throw error;
      }
    });
    owned.phase = 'held';
    this.#stalled.delete(shard);
    this.#log?.info({ nodeId: this.nodeId, shard, epoch: grant.epoch }, 'shard acquired');
    this.emit('acquired', shard, grant.epoch);
  }

  /** Gives a shard up: consumer closed (job in flight finished), onReleased, lease released. */
  #lose(owned: OwnedShard, reason: ShardLossReason): Promise<void> {
    owned.released ??= (async () => {
      owned.phase = 'releasing';
      const { shard, epoch } = owned;
      const consumer = owned.consumer;
      owned.consumer = null;
      if (consumer) await this.#closeConsumer(shard, consumer);
      await this.#attempt(`onReleased shard ${shard}`, () => this.#handler.onReleased(shard));
      const release = this.#attempt(`release shard ${shard}`, () =>
        this.#drivers.leases.release(shard, this.nodeId, epoch),
      );
      // A lease we could not renew may be unreachable too: do not let its release hold the shard hostage.
      if (reason === 'rebalanced' || reason === 'stopping' || reason === 'stalled') await release;
      if (this.#owned.get(shard) === owned) this.#owned.delete(shard);
      const log = reason === 'rebalanced' || reason === 'stopping' ? 'info' : 'warn';
      this.#log?.[log]({ nodeId: this.nodeId, shard, epoch, reason }, 'shard given up');
      this.emit('lost', shard, reason);
    })();
    return owned.released;
  }

  /**
   * Closes a consumer, bounded: a close that never returns (a driver stuck on
   * a dead connection) would keep the shard in 'releasing' for ever, neither
   * consumed here nor free for anyone else. After the bound the consumer is
   * killed (its job in flight is redelivered) and the hand-over goes on.
   */
  async #closeConsumer(shard: number, consumer: ShardConsumer): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closed = this.#attempt(`close consumer of shard ${shard}`, () => consumer.close()).then(() => true);
    const inTime = await Promise.race([
      closed,
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.#stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (inTime) return;
    this.#fail(
      new Error(`consumer of shard ${shard} did not close in ${this.#stopTimeoutMs} ms; killing it`),
    );
    if (consumer.kill) await this.#attempt(`kill consumer of shard ${shard}`, () => consumer.kill!());
  }

  /**
   * The watchdog: a held shard whose consumer has jobs waiting, none in
   * flight, and has not started one for `stallMs` (or whose loop has ended)
   * is given up and re-acquired at the next rebalance, with a new consumer
   * and a new epoch. It never fires while Redis is unreachable (the health
   * read times out and is skipped): that case is the lease deadline's.
   */
  async #watch(): Promise<void> {
    const held = [...this.#owned.values()].filter(
      (owned) => owned.phase === 'held' && owned.consumer?.health,
    );
    await Promise.all(
      held.map(async (owned) => {
        const consumer = owned.consumer!;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const health = await Promise.race([
          consumer.health!().catch(() => null),
          new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 2000))),
        ]);
        clearTimeout(timer);
        if (!health || owned.phase !== 'held' || owned.consumer !== consumer || !this.#is('running')) return;
        const stuck =
          health.dead || (!health.busy && health.waiting > 0 && health.idleMs >= this.#watchdog.stallMs);
        if (!stuck) return;
        this.#stalled.add(owned.shard);
        this.#consumerRestarts++;
        this.#log?.error(
          {
            nodeId: this.nodeId,
            shard: owned.shard,
            waiting: health.waiting,
            idleMs: Math.round(health.idleMs),
            dead: health.dead,
          },
          'shard consumer is not consuming while jobs wait; restarting it (shard released and re-acquired)',
        );
        this.emit('stalled', owned.shard, health.waiting);
        this.#track(this.#lose(owned, 'stalled'));
      }),
    );
  }

  #renewAll(): void {
    for (const owned of this.#owned.values()) {
      if (owned.epoch > 0 && owned.phase !== 'releasing' && !owned.renewing) this.#renew(owned);
    }
  }

  /** Not awaited by the loop: one unanswered renew must not delay the others, nor the deadline check. */
  #renew(owned: OwnedShard): void {
    owned.renewing = true;
    const sentAt = performance.now();
    this.#drivers.leases.renew(owned.shard, this.nodeId, owned.epoch, this.timings.leaseMs).then(
      (renewed) => {
        owned.renewing = false;
        if (this.#state === 'dead' || this.#owned.get(owned.shard) !== owned || owned.phase === 'releasing')
          return;
        if (renewed) owned.expiresAt = Math.max(owned.expiresAt, sentAt + this.timings.leaseMs);
        else if (owned.phase === 'held') this.#track(this.#lose(owned, 'renew-rejected'));
        else owned.expiresAt = 0; // lost while onAcquired ran: the deadline check drops it once held
      },
      (error) => {
        owned.renewing = false;
        this.#fail(error, `renew shard ${owned.shard}`);
      },
    );
  }

  #enforceDeadlines(): void {
    const now = performance.now();
    for (const owned of this.#owned.values()) {
      if (owned.phase === 'held' && now >= owned.expiresAt - this.timings.stopMarginMs) {
        this.#track(this.#lose(owned, 'renew-deadline'));
      }
    }
  }

  /**
   * Logs a failure, at most once per 5 s per kind of context (shard numbers
   * stripped): during an outage every renew of every shard fails each second,
   * and the log must still say what happens rather than drown it.
   */
  #logFailure(failure: Error, context: string | undefined): void {
    const kind = (context ?? '').replace(/\d+/g, '#');
    const now = performance.now();
    const window = this.#failureLog.get(kind);
    if (window && now - window.since < 5000) {
      window.suppressed++;
      return;
    }
    this.#failureLog.set(kind, { since: now, suppressed: 0 });
    const suppressed = window?.suppressed ?? 0;
    this.#log?.error(
      {
        nodeId: this.nodeId,
        err: failure,
        context,
        ...(suppressed > 0 ? { similarBefore: suppressed } : {}),
      },
      'runtime node failure',
    );
  }

  /** Reads the state afresh (TypeScript would keep a narrowing from before an await). */
  #is(state: NodeState): boolean {
    return this.#state === state;
  }

  #every(periodMs: number, tick: () => unknown, jitter = true): void {
    const run = async () => {
      if (this.#state !== 'running') return;
      try {
        await tick();
      } catch (error) {
        this.#fail(error, 'background loop');
      }
      if (this.#state !== 'running') return;
      schedule();
    };
    const schedule = () => {
      const delay = periodMs + (jitter ? Math.random() * this.timings.jitterMs : 0);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        void run();
      }, delay);
      this.#timers.add(timer);
    };
    schedule();
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #track(transition: Promise<void>): void {
    this.#transitions.add(transition);
    void transition.finally(() => this.#transitions.delete(transition));
  }

  /** Runs a driver or handler call; a failure is reported and turns into `undefined`. */
  async #attempt<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      this.#fail(error, what);
      return undefined;
    }
  }

  #fail(error: unknown, context?: string): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    this.#logFailure(failure, context);
    // An 'error' event without a listener would throw out of a background loop.
    if (this.listenerCount('error') > 0) this.emit('error', failure);
  }
}
