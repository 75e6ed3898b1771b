/**
 * The application side of a shard: turns one shard job into device-actor
 * messages, commits what they produced in one transaction (fenced by the
 * epoch the store granted for this lease), and only after COMMIT publishes
 * alerts and live totals.
 *
 * If anything fails before COMMIT, every actor the job touched is passivated
 * (their in-memory state may hold uncommitted readings) and the job is
 * retried by the queue; the actors reload from what was committed.
 *
 * Control messages are committed as their own step, in queue order: a
 * `configure` writes the device's configuration in force (re-bucketing on a
 * zone change) and the actor reloads from it, so readings queued before the
 * change counted under the old configuration (invariant 7). Alerts are pushed
 * at least once: stored with an outbox entry, marked after the push, and
 * swept up again by any node when the pushing node died (invariant 3).
 */

import { randomUUID } from 'node:crypto';
import { alertEvent, type LiveTotal } from '../core/events.ts';
import { ownerRooms } from '../core/rooms.ts';
import { hourStartOf } from '../core/time.ts';
import { ActorSystem } from '../runtime/actor-system.ts';
import { shardOf } from '../runtime/placement.ts';
import {
  type ErrorReporter,
  type EventPublisher,
  PoisonJobError,
  type ShardHandler,
  type ShardJob,
} from '../runtime/types.ts';
import { DeviceActor } from './device-actor.ts';
import { GroupCommitter } from './group-commit.ts';
import type { DeviceControl, ShardJobPayload } from './messages.ts';
import { checkedPayload, isDataException } from './poison.ts';
import {
  type DeviceSnapshot,
  type DeviceStore,
  emptyBatch,
  FencedError,
  type NewAlert,
  type PendingAlert,
  type SilentAlert,
} from './store.ts';

export interface ShardProcessorOptions {
  shards: number;
  store: DeviceStore;
  events: EventPublisher;
  /** Wall clock; injectable for tests. */
  now?: () => number;
  /**
   * Passivate device actors idle this long (default 15 minutes: longer than the common
   * 10-minute meter cadence, so such a meter's actor stays resident between readings).
   */
  idleMs?: number;
  /** At most one `live` event per device per this interval (default 1000 ms). */
  liveIntervalMs?: number;
  onError?: ErrorReporter;
  /** Let concurrent shard jobs share transactions when the store supports it (default true). */
  groupCommit?: boolean;
  /** How often this node looks for alerts another node stored but never pushed (default 5000 ms; 0: never). */
  sweepEveryMs?: number;
  /** An outbox entry is swept once it is this old and still unpublished (default 10 000 ms). */
  sweepAfterMs?: number;
  /** How long a sweeper's claim on unpublished alerts keeps other sweepers off them (default 30 s). */
  sweepClaimMs?: number;
  /** How often this node looks for silent devices of the shards it holds (default 15 000 ms; 0: never). */
  silenceEveryMs?: number;
}

export interface ProcessStats {
  applied: number;
  duplicates: number;
  alerts: NewAlert[];
}

interface PendingLive {
  ownerId: string | null;
  live: LiveTotal;
}

export class ShardProcessor implements ShardHandler {
  readonly system: ActorSystem<
    DeviceActor,
    import('./device-actor.ts').ApplyReadings,
    import('./device-actor.ts').ApplyResult
  >;
  readonly #opts: Required<Omit<ShardProcessorOptions, 'onError'>> & Pick<ShardProcessorOptions, 'onError'>;
  readonly #prefetched = new Map<string, DeviceSnapshot>();
  /** Resident actors by id, to read config after COMMIT without queueing behind the mailbox. */
  /** When a `live` event was last published per resident device (throttling); forgotten on passivation. */
  readonly #lastLiveAt = new Map<string, number>();
  readonly #pendingLive = new Map<string, PendingLive>();
  readonly #liveTimer: ReturnType<typeof setInterval>;
  readonly #sweepTimer: ReturnType<typeof setInterval> | null;
  #sweeping = false;
  readonly #silenceTimer: ReturnType<typeof setInterval> | null;
  #silenceSweeping = false;
  /** Per held shard: the lease epoch of the grant and the epoch the store fenced it with. */
  readonly #epochs = new Map<number, { lease: number; fence: number }>();
  readonly committer: GroupCommitter | null;
  /** Totals since start, for metrics and tests. */
  readonly totals = {
    jobs: 0,
    applied: 0,
    duplicates: 0,
    /** Readings dropped because their device was deleted. */
    dropped: 0,
    alerts: 0,
    /** Alerts pushed again by the sweeper (their node died before pushing). */
    swept: 0,
    /** `silent` alerts this node stored. */
    silent: 0,
    failures: 0,
    /** Jobs set aside as poison (malformed, or data the database refuses even alone). */
    poisoned: 0,
    msLoad: 0,
    msApply: 0,
    msCommit: 0,
  };

  constructor(options: ShardProcessorOptions) {
    this.#opts = {
      now: Date.now,
      idleMs: 15 * 60_000,
      liveIntervalMs: 1000,
      groupCommit: true,
      sweepEveryMs: 5000,
      sweepAfterMs: 10_000,
      sweepClaimMs: 30_000,
      silenceEveryMs: 15_000,
      ...options,
    };
    const store = this.#opts.store;
    this.committer =
      this.#opts.groupCommit && store.commitMany
        ? new GroupCommitter(store as ConstructorParameters<typeof GroupCommitter>[0])
        : null;
    this.system = new ActorSystem({
      idleMs: this.#opts.idleMs,
      activate: async (id) => {
        let snapshot = this.#prefetched.get(id);
        if (snapshot) this.#prefetched.delete(id);
        else snapshot = (await this.#opts.store.loadMany([id])).get(id);
        return new DeviceActor(id, snapshot, this.#opts.store, () => this.#lastLiveAt.delete(id));
      },
      onError: (err, context) => this.#opts.onError?.(err, context),
    });
    this.#liveTimer = setInterval(() => this.#flushLive(), Math.max(50, this.#opts.liveIntervalMs / 4));
    this.#liveTimer.unref?.();
    this.#sweepTimer =
      this.#opts.sweepEveryMs > 0 ? setInterval(() => void this.sweep(), this.#opts.sweepEveryMs) : null;
    this.#sweepTimer?.unref?.();
    this.#silenceTimer =
      this.#opts.silenceEveryMs > 0
        ? setInterval(() => void this.sweepSilent(), this.#opts.silenceEveryMs)
        : null;
    this.#silenceTimer?.unref?.();
  }

  async onAcquired(shard: number, epoch: number): Promise<void> {
    await this.#dropShard(shard);
    // The store may grant a higher epoch than the lease (Redis lost its counters): commit with that one.
    const fence = await this.#opts.store.fence(shard, epoch);
    this.#epochs.set(shard, { lease: epoch, fence });
  }

  async onReleased(shard: number): Promise<void> {
    this.#epochs.delete(shard);
    await this.#dropShard(shard);
  }

  async process(job: ShardJob, epoch: number): Promise<void> {
    const held = this.#epochs.get(job.shard);
    if (!held || held.lease !== epoch) throw new FencedError(job.shard, epoch);
    let payload: ShardJobPayload;
    try {
      payload = checkedPayload(job.payload);
    } catch (error) {
      this.totals.poisoned++;
      throw error;
    }
    try {
      await this.processPayload(job.shard, payload, held.fence);
    } catch (error) {
      // The group committer commits a job on its own when a shared commit fails, so a
      // refusal that reaches here is this job's own data.
      if (!isDataException(error)) throw error;
      this.totals.poisoned++;
      const reason = error instanceof Error ? error.message : String(error);
      throw new PoisonJobError(`the database refuses this job's data: ${reason}`, { cause: error });
    }
  }

  /** Processes one job's payload, committing with the fencing epoch `epoch`. */
  async processPayload(shard: number, payload: ShardJobPayload, epoch: number): Promise<ProcessStats> {
    this.totals.jobs++;
    if (payload.controls?.length) await this.#applyControls(shard, payload.controls, epoch);
    const stats: ProcessStats = { applied: 0, duplicates: 0, alerts: [] };
    const readings = payload.readings ?? [];
    if (readings.length === 0) return stats;

    const byDevice = new Map<string, Array<[number, number]>>();
    for (const [deviceId, ts, value] of readings) {
      const list = byDevice.get(deviceId);
      if (list) list.push([ts, value]);
      else byDevice.set(deviceId, [[ts, value]]);
    }
    const ids = [...byDevice.keys()];
    const cold = ids.filter((id) => !this.system.isResident(id));
    const t0 = performance.now();
    if (cold.length > 1) {
      for (const [id, snap] of await this.#opts.store.loadMany(cold)) this.#prefetched.set(id, snap);
    }
    const t1 = performance.now();

    const batch = emptyBatch();
    const now = this.#opts.now();
    const results = await Promise.allSettled(
      ids.map((id) => this.system.ask(id, { readings: byDevice.get(id)!, batch, now })),
    );
    this.#prefetched.clear();
    let created: NewAlert[];
    try {
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const t2 = performance.now();
      created = this.committer
        ? await this.committer.commit(shard, epoch, batch)
        : await this.#opts.store.commit(shard, epoch, batch);
      this.totals.msLoad += t1 - t0;
      this.totals.msApply += t2 - t1;
      this.totals.msCommit += performance.now() - t2;
    } catch (err) {
      this.totals.failures++;
      await Promise.all(ids.map((id) => this.system.passivate(id)));
      throw err;
    }

    // After COMMIT: publish.
    for (let i = 0; i < ids.length; i++) {
      const r = results[i] as PromiseFulfilledResult<import('./device-actor.ts').ApplyResult>;
      stats.applied += r.value.applied;
      stats.duplicates += r.value.duplicates;
      this.totals.dropped += r.value.dropped;
      if (r.value.live) this.#queueLive(ids[i]!, r.value.live);
    }
    this.totals.applied += stats.applied;
    this.totals.duplicates += stats.duplicates;
    this.totals.alerts += created.length;
    stats.alerts = created;
    const pushed = await Promise.all(created.map((alert) => this.#publishAlert(alert, now)));
    await this.#markPublished(created.filter((_, i) => pushed[i]).map((a) => a.id));
    return stats;
  }

  /**
   * Control messages, committed before anything queued after them: the actors
   * are passivated (they reload what is in force), `configure` changes are
   * written in one fenced transaction. A `deleted` device reloads as missing,
   * and its readings still queued are dropped (counted in `totals.dropped`).
   */
  async #applyControls(shard: number, controls: DeviceControl[], epoch: number) {
    const batch = emptyBatch();
    for (const ctl of controls) {
      await this.system.passivate(ctl.deviceId);
      if (ctl.op === 'configure' && ctl.config)
        batch.configs.push({ deviceId: ctl.deviceId, config: ctl.config });
    }
    if (batch.configs.length === 0) return;
    await (this.committer
      ? this.committer.commit(shard, epoch, batch)
      : this.#opts.store.commit(shard, epoch, batch));
  }

  /**
   * Pushes alerts that were stored but never marked published: their node
   * died between COMMIT and push. Same `id`, so receivers deduplicate.
   */
  async sweep(): Promise<number> {
    if (this.#sweeping) return 0;
    this.#sweeping = true;
    try {
      const pending = await this.#opts.store.claimUnpublished(
        this.#opts.sweepAfterMs,
        this.#opts.sweepClaimMs,
        200,
      );
      const now = this.#opts.now();
      const pushed = await Promise.all(pending.map((alert) => this.#pushAlert(alert, alert, now)));
      await this.#markPublished(pending.filter((_, i) => pushed[i]).map((a) => a.id));
      this.totals.swept += pending.length;
      return pending.length;
    } catch (err) {
      this.#opts.onError?.(err, { where: 'alert sweeper' });
      return 0;
    } finally {
      this.#sweeping = false;
    }
  }

  /**
   * Silent meters: raises one `silent` alert for each device of a shard this
   * node holds whose silence is due. Reads the devices table (resident and
   * passivated devices alike; no actor is activated), writes per shard in a
   * transaction fenced with that shard's epoch, so a node that lost the shard
   * writes nothing, and the alert's key (device, silence start) makes a repeat
   * by the next holder a no-op: one alert per silence, across failover. Stored
   * with an outbox entry like every alert, then pushed.
   */
  async sweepSilent(): Promise<NewAlert[]> {
    if (this.#silenceSweeping || this.#epochs.size === 0) return [];
    this.#silenceSweeping = true;
    const raised: NewAlert[] = [];
    try {
      const now = this.#opts.now();
      const due = await this.#opts.store.dueSilent(now, 1000);
      const byShard = new Map<number, SilentAlert[]>();
      for (const d of due) {
        const shard = shardOf(d.deviceId, this.#opts.shards);
        if (!this.#epochs.has(shard)) continue; // another node's shard
        const alert: SilentAlert = {
          id: randomUUID(),
          deviceId: d.deviceId,
          kind: 'silent',
          hourStart: hourStartOf(d.dueAt, d.timeZone),
          kwh: 0,
          maxHourlyKwh: d.maxHourlyKwh,
          late: false,
          since: d.since,
        };
        const list = byShard.get(shard);
        if (list) list.push(alert);
        else byShard.set(shard, [alert]);
      }
      for (const [shard, alerts] of byShard) {
        const held = this.#epochs.get(shard);
        if (!held) continue;
        try {
          raised.push(...(await this.#opts.store.raiseSilent(shard, held.fence, alerts)));
        } catch (err) {
          this.#opts.onError?.(err, { where: 'silence sweep', shard });
        }
      }
      this.totals.silent += raised.length;
      this.totals.alerts += raised.length;
      const pushed = await Promise.all(raised.map((alert) => this.#publishStored(alert, now)));
      await this.#markPublished(raised.filter((_, i) => pushed[i]).map((a) => a.id));
      return raised;
    } catch (err) {
      this.#opts.onError?.(err, { where: 'silence sweep' });
      return raised;
    } finally {
      this.#silenceSweeping = false;
    }
  }

  /** Pushes an alert whose device may not be resident: its name and owner come from the store. */
  async #publishStored(alert: NewAlert, now: number): Promise<boolean> {
    if (this.#ownerOf(alert.deviceId)) return this.#publishAlert(alert, now);
    const snapshot = (await this.#opts.store.loadMany([alert.deviceId])).get(alert.deviceId);
    if (!snapshot) return false;
    return this.#pushAlert(alert, snapshot.config, now);
  }

  async #markPublished(ids: string[]) {
    if (ids.length === 0) return;
    // A failure here only means the sweeper pushes it again later: at least once.
    await this.#opts.store
      .markPublished(ids)
      .catch((err) => this.#opts.onError?.(err, { where: 'alert outbox' }));
  }

  /** Stops timers and passivates every actor (node shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#liveTimer);
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    if (this.#silenceTimer) clearInterval(this.#silenceTimer);
    this.#flushLive(true);
    await this.system.close();
  }

  #ownerOf(deviceId: string): { ownerId: string | null; name: string; timeZone: string } | null {
    const config = this.system.peek(deviceId)?.config;
    return config ? { ownerId: config.ownerId, name: config.name, timeZone: config.timeZone } : null;
  }

  /** Pushes a just-committed alert; false when it could not (left to the sweeper: at least once). */
  async #publishAlert(alert: NewAlert, now: number): Promise<boolean> {
    const device = this.#ownerOf(alert.deviceId);
    if (!device) return false;
    return this.#pushAlert(alert, device, now);
  }

  /** True once the event left this process (Redis took it); false leaves it to the sweeper. */
  async #pushAlert(
    alert: NewAlert | PendingAlert,
    device: { ownerId: string | null; deviceName?: string; name?: string; timeZone: string },
    now: number,
  ): Promise<boolean> {
    const event = alertEvent(
      { ...alert, createdAt: alert.createdAt ?? now, acknowledgedAt: null },
      { name: device.name ?? device.deviceName ?? '', ownerId: device.ownerId, timeZone: device.timeZone },
    );
    return (await this.#opts.events.emit(ownerRooms(device.ownerId), 'alert', event)) !== false;
  }

  #queueLive(deviceId: string, live: LiveTotal) {
    const device = this.#ownerOf(deviceId);
    if (!device) return;
    this.#pendingLive.set(deviceId, { ownerId: device.ownerId, live });
    this.#flushLive();
  }

  #flushLive(force = false) {
    if (this.#pendingLive.size === 0) return;
    const now = this.#opts.now();
    for (const [deviceId, pending] of this.#pendingLive) {
      const last = this.#lastLiveAt.get(deviceId) ?? 0;
      if (!force && now - last < this.#opts.liveIntervalMs) continue;
      if (this.system.isResident(deviceId)) this.#lastLiveAt.set(deviceId, now);
      this.#pendingLive.delete(deviceId);
      this.#opts.events.emit(ownerRooms(pending.ownerId), 'live', pending.live);
    }
  }

  async #dropShard(shard: number) {
    await this.system.passivateAll((id) => shardOf(id, this.#opts.shards) === shard);
  }
}
