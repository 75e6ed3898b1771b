/**
 * The device actors' persistence in memory: the same contract as the Postgres
 * store (db/device-store.ts), held to it by the shared suite in
 * actors/store.suite.ts, so actor, processor and group-commit tests run in
 * milliseconds without a database.
 *
 * What it guards, as Postgres does: a commit is all or nothing (every check —
 * fencing epoch, known devices, duplicate readings, alert ids — runs before
 * the first write, and nothing awaits in between, so no other call sees half
 * a batch); a stale epoch writes nothing (invariant 4); a reading already
 * stored aborts the batch (invariant 2); at most one alert per device, hour
 * and kind (invariant 3). Hour totals are summed and rounded to 1e-9 kWh,
 * which equals Postgres's exact numeric sum for the 9-decimal energies the
 * actor writes. Configuration changes apply in version order and a zone change
 * re-buckets the device's hours from its stored readings (invariant 7); every
 * stored alert gets an outbox entry until it is marked published (invariant 3).
 */
import { hourStartOf } from '../core/time.ts';
import { roundKwh } from './meter.ts';
import {
  type CommitItem,
  type ConfigChange,
  type CountingConfig,
  type DeviceConfig,
  type DeviceSnapshot,
  type DeviceStore,
  DuplicateReadingError,
  FencedError,
  type NewAlert,
  type PendingAlert,
  type ShardBatch,
  type SilentAlert,
  type SilentDevice,
  type StoredReading,
  UnknownDeviceError,
} from './store.ts';

type AlertKind = NewAlert['kind'];

interface DeviceRows {
  config: DeviceConfig;
  /** The configuration the actor reached in shard order (devices.applied_config); unset: `config` is in force. */
  applied?: CountingConfig;
  /** Ascending by ts; (device, ts) is unique. */
  readings: StoredReading[];
  hourly: Map<number, { kwh: number; readings: number }>;
  /** Alert kinds per hour start, in insertion order (exceeded and projected). */
  alerts: Map<number, AlertKind[]>;
  /** devices.silent_since / silent_due_at (see db/migrations/060_silent_meters.sql). */
  silentSince: number | null;
  silentDueAt: number | null;
  /** `silent` alerts by the silence's start (one per silence), and whether acknowledged. */
  silences: Map<number, { id: string; acknowledged: boolean }>;
}

export interface MemoryDeviceStoreOptions {
  /** Clock for alerts' createdAt (default Date.now). */
  now?: () => number;
}

export class MemoryDeviceStore implements DeviceStore {
  readonly #devices = new Map<string, DeviceRows>();
  readonly #fences = new Map<number, number>();
  /** Every stored alert id (the alerts table's primary key) and its device. */
  readonly #alertIds = new Map<string, string>();
  /** alert_outbox: alerts whose push is still owed, by id. */
  readonly #outbox = new Map<string, { alert: Required<NewAlert>; claimedUntil: number }>();
  readonly #now: () => number;

  constructor(options: MemoryDeviceStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Adds a device, or replaces its configuration keeping its rows (tests, config changes). */
  putDevice(config: DeviceConfig): void {
    const rows = this.#devices.get(config.id);
    if (rows) rows.config = { ...config };
    else {
      // As the insert trigger does: a device created with a limit is watched from now.
      const since = config.silentAfterMinutes ? this.#now() : null;
      this.#devices.set(config.id, {
        config: { ...config },
        readings: [],
        hourly: new Map(),
        alerts: new Map(),
        silentSince: since,
        silentDueAt: since === null ? null : since + config.silentAfterMinutes! * 60_000,
        silences: new Map(),
      });
    }
  }

  /** The device's `silent` alerts, oldest silence first (tests: acknowledgement is not in the interface). */
  silentAlertsOf(deviceId: string): Array<{ id: string; since: number; acknowledged: boolean }> {
    const silences = this.#devices.get(deviceId)?.silences ?? new Map();
    return [...silences].sort((a, b) => a[0] - b[0]).map(([since, a]) => ({ since, ...a }));
  }

  async dueSilent(now: number, limit: number): Promise<SilentDevice[]> {
    const due: SilentDevice[] = [];
    for (const [id, rows] of this.#devices) {
      if (rows.silentDueAt === null || rows.silentSince === null || rows.silentDueAt > now) continue;
      const minutes = silentAfterOf(rows);
      if (!minutes) continue;
      due.push({
        deviceId: id,
        since: rows.silentSince,
        dueAt: rows.silentDueAt,
        silentAfterMinutes: minutes,
        maxHourlyKwh: rows.applied?.maxHourlyKwh ?? rows.config.maxHourlyKwh,
        timeZone: rows.applied?.timeZone ?? rows.config.timeZone,
      });
    }
    return due.sort((a, b) => a.dueAt - b.dueAt).slice(0, limit);
  }

  async raiseSilent(shard: number, epoch: number, alerts: SilentAlert[]): Promise<NewAlert[]> {
    if (this.#fences.get(shard) !== epoch) throw new FencedError(shard, epoch);
    const createdAt = this.#now();
    const stored: NewAlert[] = [];
    for (const a of alerts) {
      const rows = this.#devices.get(a.deviceId);
      // A reading committed since the sweep read it started a new silence: nothing to raise.
      if (!rows || rows.silentSince !== a.since) continue;
      rows.silentDueAt = null;
      if (rows.silences.has(a.since)) continue;
      if (this.#alertIds.has(a.id)) throw new Error(`alert id ${a.id} is already stored`);
      rows.silences.set(a.since, { id: a.id, acknowledged: false });
      const { since: _, ...alert } = a;
      this.#alertIds.set(a.id, a.deviceId);
      this.#outbox.set(a.id, { alert: { ...alert, createdAt }, claimedUntil: 0 });
      stored.push({ ...alert, createdAt });
    }
    return stored;
  }

  /** Removes a device and, as the foreign keys cascade, its readings, hours and alerts. */
  deleteDevice(id: string): void {
    this.#devices.delete(id);
    for (const [alertId, deviceId] of this.#alertIds) {
      if (deviceId !== id) continue;
      this.#alertIds.delete(alertId);
      this.#outbox.delete(alertId);
    }
  }

  async loadMany(deviceIds: string[]): Promise<Map<string, DeviceSnapshot>> {
    const out = new Map<string, DeviceSnapshot>();
    for (const id of deviceIds) {
      const rows = this.#devices.get(id);
      if (rows) out.set(id, snapshotOf(rows));
    }
    return out;
  }

  async around(deviceId: string, from: number, to: number): Promise<StoredReading[]> {
    const readings = this.#devices.get(deviceId)?.readings ?? [];
    const first = Math.max(0, lowerBound(readings, from) - 1); // the one just before `from`
    const last = Math.min(readings.length, upperBound(readings, to) + 1); // the one just after `to`
    return readings.slice(first, last).map((r) => ({ ...r }));
  }

  async hourTotals(deviceId: string, hourStarts: number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    const hourly = this.#devices.get(deviceId)?.hourly;
    for (const start of hourStarts) {
      const row = hourly?.get(start);
      if (row) out.set(start, row.kwh);
    }
    return out;
  }

  async fence(shard: number, epoch: number): Promise<number> {
    // Never equal, never lower: max(granted epoch, stored + 1), as the Postgres store.
    const current = this.#fences.get(shard);
    const granted = current === undefined ? epoch : Math.max(epoch, current + 1);
    this.#fences.set(shard, granted);
    return granted;
  }

  async markPublished(alertIds: string[]): Promise<void> {
    for (const id of alertIds) this.#outbox.delete(id);
  }

  async claimUnpublished(olderThanMs: number, claimMs: number, limit: number): Promise<PendingAlert[]> {
    const now = this.#now();
    const out: PendingAlert[] = [];
    const pending = [...this.#outbox.values()].sort((a, b) => a.alert.createdAt - b.alert.createdAt);
    for (const entry of pending) {
      if (out.length >= limit) break;
      if (entry.alert.createdAt >= now - olderThanMs || entry.claimedUntil > now) continue;
      const rows = this.#devices.get(entry.alert.deviceId);
      if (!rows) continue;
      entry.claimedUntil = now + claimMs;
      out.push({
        ...entry.alert,
        deviceName: rows.config.name,
        ownerId: rows.config.ownerId,
        timeZone: rows.applied?.timeZone ?? rows.config.timeZone,
      });
    }
    return out;
  }

  async commit(shard: number, epoch: number, batch: ShardBatch): Promise<NewAlert[]> {
    return (await this.commitMany([{ shard, epoch, batch }]))[0]!;
  }

  async commitMany(items: CommitItem[]): Promise<NewAlert[][]> {
    // Checks first: any failure leaves the store untouched. Every item's epoch must be the
    // fenced one, even when two items share a shard (db/device-store.ts counts distinct
    // shards there, which lets a stale item through beside a current one of the same shard;
    // no caller sends such a pair: a shard has one job in flight).
    for (const { shard, epoch } of items) {
      if (this.#fences.get(shard) !== epoch) throw new FencedError(shard, epoch);
    }
    const batches = items.map((i) => i.batch);
    const rowsOf = (deviceId: string) => {
      const rows = this.#devices.get(deviceId);
      if (!rows) throw new UnknownDeviceError(deviceId);
      return rows;
    };
    const newKeys = new Set<string>();
    for (const r of batches.flatMap((b) => b.inserts)) {
      const key = `${r.deviceId}|${r.ts}`;
      const readings = rowsOf(r.deviceId).readings;
      const at = lowerBound(readings, r.ts);
      if (newKeys.has(key) || readings[at]?.ts === r.ts) throw new DuplicateReadingError();
      newKeys.add(key);
    }
    for (const h of batches.flatMap((b) => [...b.hours.values()])) rowsOf(h.deviceId);
    // An alert whose (device, hour, kind) exists is skipped; one that would be stored must have a new id.
    const ids = new Set<string>();
    const kinds = new Set<string>();
    for (const a of batches.flatMap((b) => b.alerts)) {
      const key = `${a.deviceId}|${a.hourStart}|${a.kind}`;
      if (rowsOf(a.deviceId).alerts.get(a.hourStart)?.includes(a.kind) || kinds.has(key)) continue;
      kinds.add(key);
      if (this.#alertIds.has(a.id) || ids.has(a.id)) throw new Error(`alert id ${a.id} is already stored`);
      ids.add(a.id);
    }

    // Writes, in the order the Postgres store sends its statements: configuration first.
    for (const change of batches.flatMap((b) => b.configs)) {
      const rows = this.#devices.get(change.deviceId);
      if (rows) applyConfig(rows, change, this.#now()); // a device deleted meanwhile: nothing to configure
    }
    for (const b of batches) {
      for (const r of b.inserts) {
        const readings = this.#devices.get(r.deviceId)!.readings;
        readings.splice(lowerBound(readings, r.ts), 0, { ts: r.ts, value: r.value, kwh: r.kwh });
      }
    }
    // Every device that got a reading starts a new silence; its open silent alerts are acknowledged.
    const now = this.#now();
    // Only watched devices track their silence (as the Postgres store).
    for (const id of new Set(batches.flatMap((b) => b.inserts.map((r) => r.deviceId)))) {
      const rows = this.#devices.get(id)!;
      const minutes = silentAfterOf(rows);
      if (minutes) {
        rows.silentSince = now;
        rows.silentDueAt = now + minutes * 60_000;
      }
      for (const silence of rows.silences.values()) silence.acknowledged = true;
    }
    for (const b of batches) {
      for (const u of b.updates) {
        const readings = this.#devices.get(u.deviceId)?.readings ?? [];
        const stored = readings[lowerBound(readings, u.ts)];
        if (stored?.ts === u.ts) stored.kwh = u.kwh;
      }
    }
    for (const b of batches) {
      for (const h of b.hours.values()) {
        const hourly = this.#devices.get(h.deviceId)!.hourly;
        const row = hourly.get(h.hourStart);
        if (row) {
          row.kwh = roundKwh(row.kwh + h.kwh);
          row.readings += h.readings;
        } else hourly.set(h.hourStart, { kwh: h.kwh, readings: h.readings });
      }
    }
    const createdAt = this.#now();
    return batches.map((b) => {
      const inserted: NewAlert[] = [];
      for (const a of b.alerts) {
        const alerts = this.#devices.get(a.deviceId)!.alerts;
        const kinds = alerts.get(a.hourStart) ?? [];
        if (kinds.includes(a.kind)) continue;
        alerts.set(a.hourStart, [...kinds, a.kind]);
        this.#alertIds.set(a.id, a.deviceId);
        this.#outbox.set(a.id, { alert: { ...a, createdAt }, claimedUntil: 0 });
        inserted.push({ ...a, createdAt });
      }
      return inserted;
    });
  }
}

/**
 * Makes `change` the device's configuration in force unless a newer version already is.
 * A meter kind never changes under stored readings (they keep the kind they were sent
 * under); a zone change re-buckets the hours from the stored per-reading energy.
 */
function applyConfig(rows: DeviceRows, change: ConfigChange, now: number): void {
  const current = rows.applied;
  if (current && current.version >= change.config.version) return;
  const wasWatched = silentAfterOf(rows) !== null;
  let config = change.config;
  const kind = current?.meterKind ?? rows.config.meterKind;
  if (config.meterKind !== kind && rows.readings.length > 0) {
    config = { ...config, meterKind: kind };
    rows.config = { ...rows.config, meterKind: kind };
  }
  rows.applied = { ...config };
  // The silence in progress is measured against the new limit; a first limit starts one now.
  const minutes = silentAfterOf(rows);
  if (minutes && !wasWatched) rows.silentSince = now;
  const alerted = rows.silentSince !== null && rows.silences.has(rows.silentSince);
  rows.silentDueAt = minutes && !alerted ? rows.silentSince! + minutes * 60_000 : null;
  const fromZone = current?.timeZone ?? rows.config.timeZone;
  if (fromZone === config.timeZone) return;
  rows.hourly = new Map();
  for (const r of rows.readings) {
    const start = hourStartOf(r.ts, config.timeZone);
    const row = rows.hourly.get(start);
    if (row) {
      row.kwh = roundKwh(row.kwh + r.kwh);
      row.readings++;
    } else rows.hourly.set(start, { kwh: r.kwh, readings: 1 });
  }
}

/** The silence limit in force: the applied configuration's, else the row's. */
function silentAfterOf(rows: DeviceRows): number | null {
  if (rows.applied && 'silentAfterMinutes' in rows.applied) return rows.applied.silentAfterMinutes ?? null;
  return rows.config.silentAfterMinutes ?? null;
}

/** Recent readings (the last 60 minutes up to the latest), the newest hour row and its alert kinds. */
function snapshotOf(rows: DeviceRows): DeviceSnapshot {
  const latest = rows.readings[rows.readings.length - 1];
  const recent = latest
    ? rows.readings.slice(upperBound(rows.readings, latest.ts - 3_600_000)).map((r) => ({ ...r }))
    : [];
  let open: number | null = null;
  for (const start of rows.hourly.keys()) if (open === null || start > open) open = start;
  const hour = open === null ? undefined : rows.hourly.get(open);
  const applied = rows.applied;
  return {
    config: applied
      ? {
          ...rows.config,
          maxHourlyKwh: applied.maxHourlyKwh,
          meterKind: applied.meterKind,
          timeZone: applied.timeZone,
          // A configure message queued before tariffs existed leaves the tariff as it was.
          ...(applied.tariff !== undefined ? { tariff: applied.tariff } : {}),
        }
      : { ...rows.config },
    recent,
    openHour: open === null || !hour ? null : { start: open, kwh: hour.kwh, readings: hour.readings },
    // `rows.alerts` holds per-hour kinds only (silent alerts are in `silences`).
    openHourAlerts:
      open === null ? [] : ([...(rows.alerts.get(open) ?? [])] as DeviceSnapshot['openHourAlerts']),
  };
}

/** Index of the first reading with ts >= t. */
function lowerBound(readings: StoredReading[], t: number): number {
  let lo = 0;
  let hi = readings.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (readings[mid]!.ts < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first reading with ts > t. */
function upperBound(readings: StoredReading[], t: number): number {
  let lo = 0;
  let hi = readings.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (readings[mid]!.ts <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
