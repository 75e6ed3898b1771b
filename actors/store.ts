/**
 * What the device actor needs from persistence, as an interface: the actor
 * and the shard processor never know which database is behind it. The
 * Postgres implementation is db/device-store.ts, the in-memory one
 * actors/memory-store.ts; actors/store.suite.ts holds both to one contract.
 */
import type { AlertFacts } from '../core/events.ts';

import type { Tariff } from '../core/tariff.ts';

/** The configuration that decides how a device's readings count. */
export interface CountingConfig {
  maxHourlyKwh: number;
  timeZone: string;
  meterKind: 'interval' | 'cumulative';
  /** Prices readings from here on in shard order; absent in messages queued before tariffs existed. */
  tariff?: Tariff | null;
  /** devices.config_version of this configuration; an older one never overrides a newer. */
  version: number;
  /** Raise a `silent` alert after this many minutes without a reading (absent or null: never). */
  silentAfterMinutes?: number | null;
}

export interface DeviceConfig {
  id: string;
  name: string;
  ownerId: string | null;
  maxHourlyKwh: number;
  meterKind: 'interval' | 'cumulative';
  timeZone: string;
  /** The tariff in force (null or absent: readings are not priced). */
  tariff?: Tariff | null;
  /** Silence limit of the row (tests create devices with it; in force until a configure says otherwise). */
  silentAfterMinutes?: number | null;
}

export interface StoredReading {
  ts: number;
  value: number;
  kwh: number;
}

/** What an actor loads on activation: enough to continue where the last commit left off. */
export interface DeviceSnapshot {
  config: DeviceConfig;
  /** Readings of the last 60 minutes before (and including) the latest one, ascending; the last is the latest. */
  recent: StoredReading[];
  /** The hour of the latest reading, with its stored total. */
  openHour: { start: number; kwh: number; readings: number } | null;
  /** Alert kinds already raised for the open hour (`silent` alerts are per silence, not per hour). */
  openHourAlerts: Array<'exceeded' | 'projected'>;
}

/** An alert as the actor raises it: the stored facts (core/events.ts) before the store commits them. */
export interface NewAlert extends Omit<AlertFacts, 'createdAt' | 'acknowledgedAt'> {
  /** When it was stored (set by the store on commit). */
  createdAt?: number;
}

/**
 * A device whose silence is due: no reading since `since` (the commit of its
 * latest reading, or when its silence limit came into force), for at least
 * `silentAfterMinutes`. `dueAt` = since + the limit.
 */
export interface SilentDevice {
  deviceId: string;
  since: number;
  dueAt: number;
  silentAfterMinutes: number;
  maxHourlyKwh: number;
  timeZone: string;
}

/** A `silent` alert to store, keyed by its device and the silence's start (one per silence). */
export interface SilentAlert extends NewAlert {
  kind: 'silent';
  since: number;
}

/** A configure control message reaching its device in shard order (see messages.ts). */
export interface ConfigChange {
  deviceId: string;
  config: CountingConfig;
}

/** An alert whose push is still owed (the outbox; invariant 3: pushed at least once). */
export interface PendingAlert extends Required<NewAlert> {
  deviceName: string;
  ownerId: string | null;
  timeZone: string;
}

/** Everything one job writes, committed in one transaction. */
export interface ShardBatch {
  /**
   * Applied first: each becomes the device's configuration in force unless a newer
   * version already is; a zone change re-buckets the device's `hourly` rows from its
   * stored per-reading energy in the new zone. Past alerts keep their hour.
   */
  configs: ConfigChange[];
  /** `price`: per kWh, of the period in force at the local start of the reading's hour (absent: no tariff). */
  inserts: Array<{ deviceId: string; ts: number; value: number; kwh: number; price?: number | undefined }>;
  /** Corrected energies of already stored readings (a late reading of a cumulative meter splits an interval). */
  updates: Array<{ deviceId: string; ts: number; kwh: number; price?: number | undefined }>;
  /** Energy and reading-count deltas per device and hour start (cost delta = kwh × price). */
  hours: Map<
    string,
    { deviceId: string; hourStart: number; kwh: number; readings: number; price?: number | undefined }
  >;
  alerts: NewAlert[];
  /** Per device that took readings: where it stands now (the fleet summary's working set). */
  live?: Map<string, DeviceLive>;
}

/**
 * A device's latest reading, open (latest) local hour and that hour's local day,
 * as instants; the store keeps the hour's and the day's totals beside them.
 */
export interface DeviceLive {
  deviceId: string;
  /** The limit in force (so "over the limit now" is read from the row alone). */
  maxHourlyKwh: number;
  lastTs: number;
  hourStart: number;
  hourEnd: number;
  dayStart: number;
  dayEnd: number;
}

export const emptyBatch = (): ShardBatch => ({
  configs: [],
  inserts: [],
  updates: [],
  hours: new Map(),
  alerts: [],
  live: new Map(),
});

export class FencedError extends Error {
  constructor(shard: number, epoch: number) {
    super(`shard ${shard}: epoch ${epoch} was fenced off by a newer lease holder`);
    this.name = 'FencedError';
  }
}

/**
 * A reading of the batch is already stored (its (device, ts) key exists, or
 * the batch holds it twice). The actor's own dedupe should make this
 * impossible; a store aborts the whole batch rather than count anything
 * twice (invariant 2), and the job is retried from fresh state.
 */
export class DuplicateReadingError extends Error {
  constructor() {
    super('a reading of this batch is already stored; the batch is retried from fresh state');
    this.name = 'DuplicateReadingError';
  }
}

/**
 * A row of the batch belongs to a device that no longer exists (deleted while
 * the job was in flight). Nothing of the batch is stored; the retried job
 * finds the device gone and drops its readings.
 */
export class UnknownDeviceError extends Error {
  constructor(deviceId: string) {
    super(`device ${deviceId} does not exist`);
    this.name = 'UnknownDeviceError';
  }
}

/** One job's effects, for stores that can commit several jobs in one transaction. */
export interface CommitItem {
  shard: number;
  epoch: number;
  batch: ShardBatch;
}

export interface DeviceStore {
  /** Snapshots of the given devices; a missing device is absent from the map. */
  loadMany(deviceIds: string[]): Promise<Map<string, DeviceSnapshot>>;
  /**
   * Stored readings of a device around a time range: every reading with ts in
   * [from, to], plus the one just before `from` and the one just after `to`.
   */
  around(deviceId: string, from: number, to: number): Promise<StoredReading[]>;
  /** Stored totals of some hours of one device. */
  hourTotals(deviceId: string, hourStarts: number[]): Promise<Map<number, number>>;
  /**
   * Claims the shard for a new lease holder and returns the epoch it must commit
   * with: max(`epoch`, stored epoch + 1), so it is strictly greater than every
   * epoch any node has committed with for that shard, even when the lease
   * store (Redis) lost its counters and handed out a small or equal epoch.
   * Every earlier holder is fenced off from then on.
   */
  fence(shard: number, epoch: number): Promise<number>;
  /**
   * Writes the batch in one transaction, checking the fencing epoch first
   * (equal to the stored one, else FencedError). Returns the alerts actually
   * inserted (an alert that already exists for its device, hour and kind is not
   * returned); each inserted alert also gets an outbox entry in the same
   * transaction, to be marked with `markPublished` once pushed.
   */
  commit(shard: number, epoch: number, batch: ShardBatch): Promise<NewAlert[]>;
  /**
   * Optional: commits several jobs (of different shards) in one transaction,
   * checking every epoch; all or nothing. Returns each job's inserted alerts.
   */
  commitMany?(items: CommitItem[]): Promise<NewAlert[][]>;
  /** Marks outbox entries as pushed (or deliberately not pushed: old backfill). */
  markPublished(alertIds: string[]): Promise<void>;
  /**
   * Claims up to `limit` outbox entries stored more than `olderThanMs` ago and
   * still not published (a node died between COMMIT and push), for `claimMs`:
   * another sweeper does not take them meanwhile. The caller pushes them (same
   * `id`) and marks them published.
   */
  claimUnpublished(olderThanMs: number, claimMs: number, limit: number): Promise<PendingAlert[]>;
  /**
   * Silent meters. Every committed reading of a device starts a new silence
   * (since = commit time) and acknowledges its open `silent` alerts in the same
   * transaction; a configure starts the device's first silence if it has none.
   * `dueSilent` lists up to `limit` devices, of all shards, whose silence is due
   * at `now` and not yet alerted, oldest due first.
   */
  dueSilent(now: number, limit: number): Promise<SilentDevice[]>;
  /**
   * Stores `silent` alerts of one shard in one transaction fenced like `commit`
   * (FencedError, nothing written). An alert is stored only if its device is
   * still silent since `since` (no reading committed meanwhile) and no alert of
   * that silence exists; each stored one gets an outbox entry and its device
   * stops being due. Returns the alerts stored, with createdAt.
   */
  raiseSilent(shard: number, epoch: number, alerts: SilentAlert[]): Promise<NewAlert[]>;
}
