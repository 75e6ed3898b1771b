/**
 * The device actor: one per metered device, resident on the node that holds
 * its shard. It sequences the pure functions (hour bucket, register to
 * energy, rolling window, limit and projection) over a device's readings and
 * writes what they imply into the job's batch; the shard processor commits
 * the batch in one transaction and only then publishes.
 *
 * Exactly once: a reading newer than the latest one is new by construction
 * (the latest reading is part of the committed state loaded on activation);
 * an older one is checked against the stored readings around it, so a
 * duplicate of any age counts once. A late reading of a cumulative meter
 * splits a stored interval, and the neighbour's energy is corrected.
 */
import { randomUUID } from 'node:crypto';
import type { LiveTotal } from '../core/events.ts';
import { priceAt } from '../core/tariff.ts';
import {
  dayStart,
  formatIsoWithOffset,
  hourEndOf,
  hourStartOf,
  localDateOf,
  nextDayStart,
} from '../core/time.ts';
import { isExceeded, projectHour, shouldWarnProjected } from './limits.ts';
import { cumulativeEnergy, intervalEnergy, roundKwh } from './meter.ts';
import type {
  DeviceConfig,
  DeviceSnapshot,
  DeviceStore,
  NewAlert,
  ShardBatch,
  StoredReading,
} from './store.ts';
import { RollingWindow } from './window.ts';

const EXCEEDED = 1;
const PROJECTED = 2;

/** One job's readings for this device: [ts, value] in arrival order. */
export interface ApplyReadings {
  readings: Array<[number, number]>;
  batch: ShardBatch;
  /** Wall-clock time of processing (alerts of hours already over are `late`). */
  now: number;
}

export interface ApplyResult {
  /** Readings that counted (not duplicates, device exists). */
  applied: number;
  duplicates: number;
  /** Readings dropped because the device does not exist (deleted). */
  dropped: number;
  /** Set when the open hour moved and is the current hour: what to show live. */
  live: LiveTotal | null;
}

export class DeviceActor {
  readonly id: string;
  /** The configuration in force, as loaded on activation (a change passivates the actor). */
  readonly #config: Readonly<DeviceConfig> | null;
  #lastTs = Number.NEGATIVE_INFINITY;
  #lastValue = Number.NaN;
  #hourStart = Number.NaN;
  #hourKwh = 0;
  #hourReadings = 0;
  #alerts = 0;
  readonly #window = new RollingWindow();
  readonly #store: DeviceStore;
  readonly #onPassivate: (() => void) | undefined;

  constructor(
    id: string,
    snapshot: DeviceSnapshot | undefined,
    store: DeviceStore,
    onPassivate?: () => void,
  ) {
    this.id = id;
    this.#store = store;
    this.#onPassivate = onPassivate;
    this.#config = snapshot?.config ? Object.freeze({ ...snapshot.config }) : null;
    if (!snapshot) return;
    for (const r of snapshot.recent) this.#window.add(r.ts, r.kwh);
    const last = snapshot.recent[snapshot.recent.length - 1];
    if (last) {
      this.#lastTs = last.ts;
      this.#lastValue = last.value;
    }
    if (snapshot.openHour) {
      this.#hourStart = snapshot.openHour.start;
      this.#hourKwh = snapshot.openHour.kwh;
      this.#hourReadings = snapshot.openHour.readings;
    }
    for (const kind of snapshot.openHourAlerts) this.#alerts |= kind === 'exceeded' ? EXCEEDED : PROJECTED;
  }

  onPassivate() {
    this.#onPassivate?.();
  }

  get config(): Readonly<DeviceConfig> | null {
    return this.#config;
  }

  get exists() {
    return this.#config !== null;
  }

  async receive(msg: ApplyReadings): Promise<ApplyResult> {
    const config = this.config;
    if (!config) return { applied: 0, duplicates: 0, dropped: msg.readings.length, live: null };
    // Stable sort: of two readings with the same timestamp, the first to arrive wins.
    const sorted = [...msg.readings].sort((a, b) => a[0] - b[0]);
    let duplicates = 0;
    const late: Array<[number, number]> = [];
    const fresh: Array<[number, number]> = [];
    let prevTs = Number.NaN;
    for (const r of sorted) {
      if (r[0] === prevTs) {
        duplicates++;
        continue;
      }
      prevTs = r[0];
      (r[0] <= this.#lastTs ? late : fresh).push(r);
    }
    let applied = 0;
    if (late.length > 0) {
      const n = await this.#applyLate(config, late, msg);
      applied += n;
      duplicates += late.length - n;
    }
    for (const [ts, value] of fresh) this.#applyFresh(config, ts, value, msg);
    applied += fresh.length;
    if (applied > 0) this.#reportLive(config, msg);
    return {
      applied,
      duplicates,
      dropped: 0,
      live: fresh.length > 0 || late.length > 0 ? this.liveTotal(msg.now) : null,
    };
  }

  /** The open hour as the `live` event shows it, if that hour is the current one. */
  liveTotal(now: number): LiveTotal | null {
    const config = this.config;
    if (!config || Number.isNaN(this.#hourStart)) return null;
    if (hourStartOf(now, config.timeZone) !== this.#hourStart) return null;
    const rolling = this.#window.sum(Math.max(now, this.#lastTs));
    return {
      deviceId: this.id,
      hourStart: formatIsoWithOffset(this.#hourStart, config.timeZone),
      kwh: this.#hourKwh,
      rolling60Kwh: rolling,
      projectedKwh: this.#projection(config, now),
      at: new Date(now).toISOString(),
    };
  }

  /** The price of `hour` under the tariff in force (undefined: no tariff, not priced). */
  #price(config: DeviceConfig, hour: number): number | undefined {
    return config.tariff ? priceAt(config.tariff, hour, config.timeZone) : undefined;
  }

  #day: { hour: number; start: number; end: number } | null = null;

  /** Where the device stands after this job: its open hour and that hour's local day. */
  #reportLive(config: DeviceConfig, msg: ApplyReadings) {
    if (Number.isNaN(this.#hourStart)) return;
    if (this.#day?.hour !== this.#hourStart) {
      const date = localDateOf(this.#hourStart, config.timeZone);
      this.#day = {
        hour: this.#hourStart,
        start: dayStart(date, config.timeZone),
        end: nextDayStart(date, config.timeZone),
      };
    }
    msg.batch.live ??= new Map();
    msg.batch.live.set(this.id, {
      deviceId: this.id,
      maxHourlyKwh: config.maxHourlyKwh,
      lastTs: this.#lastTs,
      hourStart: this.#hourStart,
      hourEnd: hourEndOf(this.#hourStart, config.timeZone),
      dayStart: this.#day.start,
      dayEnd: this.#day.end,
    });
  }

  #projection(config: DeviceConfig, now: number): number {
    const at = Math.max(now, this.#lastTs);
    return projectHour({
      hourStart: this.#hourStart,
      hourEnd: hourEndOf(this.#hourStart, config.timeZone),
      now: at,
      hourTotal: this.#hourKwh,
      hourReadings: this.#hourReadings,
      pace: this.#window.pace(at),
    });
  }

  #applyFresh(config: DeviceConfig, ts: number, value: number, msg: ApplyReadings) {
    const previous = Number.isNaN(this.#lastValue) ? null : this.#lastValue;
    const kwh = roundKwh(config.meterKind === 'interval' ? value : cumulativeEnergy(previous, value));
    const hour = hourStartOf(ts, config.timeZone);
    if (hour !== this.#hourStart) {
      this.#hourStart = hour;
      this.#hourKwh = 0;
      this.#hourReadings = 0;
      this.#alerts = 0;
    }
    this.#hourKwh = roundKwh(this.#hourKwh + kwh);
    this.#hourReadings++;
    this.#window.add(ts, kwh);
    this.#lastTs = ts;
    this.#lastValue = value;
    const price = this.#price(config, hour);
    msg.batch.inserts.push({ deviceId: this.id, ts, value, kwh, price });
    addHour(msg.batch, this.id, hour, kwh, 1, price);
    this.#checkOpenHour(config, msg);
  }

  #checkOpenHour(config: DeviceConfig, msg: ApplyReadings) {
    const hourEnd = hourEndOf(this.#hourStart, config.timeZone);
    const late = hourEnd <= msg.now;
    if (!(this.#alerts & EXCEEDED) && isExceeded(this.#hourKwh, config.maxHourlyKwh)) {
      this.#alerts |= EXCEEDED;
      msg.batch.alerts.push(newAlert(config, 'exceeded', this.#hourStart, this.#hourKwh, late));
    }
    // A projection only means something for the hour that is still running.
    if (!late && !(this.#alerts & (PROJECTED | EXCEEDED)) && this.#hourStart <= msg.now) {
      const projected = this.#projection(config, msg.now);
      if (shouldWarnProjected(projected, this.#hourKwh, config.maxHourlyKwh)) {
        this.#alerts |= PROJECTED;
        msg.batch.alerts.push(newAlert(config, 'projected', this.#hourStart, projected, false));
      }
    }
  }

  /**
   * Readings at or before the latest one: merged with the stored readings
   * around them, duplicates dropped, energies recomputed where the sequence
   * changed. Returns how many were new.
   */
  async #applyLate(config: DeviceConfig, late: Array<[number, number]>, msg: ApplyReadings): Promise<number> {
    const from = late[0]![0];
    const to = late[late.length - 1]![0];
    const stored = await this.#store.around(this.id, from, to);
    const storedTs = new Set(stored.map((r) => r.ts));
    const added = late.filter(([ts]) => !storedTs.has(ts));
    if (added.length === 0) return 0;

    type Item = StoredReading & { isNew: boolean };
    const seq: Item[] = [
      ...stored.map((r) => ({ ...r, isNew: false })),
      ...added.map(([ts, value]) => ({ ts, value, kwh: 0, isNew: true })),
    ].sort((a, b) => a.ts - b.ts);

    const touchedHours = new Set<number>();
    for (let i = 0; i < seq.length; i++) {
      const r = seq[i]!;
      let kwh: number;
      if (config.meterKind === 'interval') kwh = roundKwh(r.value);
      else if (i === 0)
        kwh = r.isNew ? 0 : r.kwh; // a stored first item keeps its energy; a new one is the baseline
      else kwh = roundKwh(intervalEnergy(seq[i - 1]!.value, r.value));
      const delta = r.isNew ? kwh : roundKwh(kwh - r.kwh);
      if (!r.isNew && delta === 0) continue;
      const hour = hourStartOf(r.ts, config.timeZone);
      const price = this.#price(config, hour);
      if (r.isNew) msg.batch.inserts.push({ deviceId: this.id, ts: r.ts, value: r.value, kwh, price });
      else msg.batch.updates.push({ deviceId: this.id, ts: r.ts, kwh, price });
      addHour(msg.batch, this.id, hour, delta, r.isNew ? 1 : 0, price);
      if (r.ts > this.#lastTs - 3_600_000) this.#window.add(r.ts, delta);
      if (hour === this.#hourStart) {
        this.#hourKwh = roundKwh(this.#hourKwh + delta);
        if (r.isNew) this.#hourReadings++;
      } else {
        touchedHours.add(hour);
      }
    }

    if (!Number.isNaN(this.#hourStart)) this.#checkOpenHour(config, msg);
    if (touchedHours.size > 0) await this.#checkPastHours(config, [...touchedHours], msg);
    return added.length;
  }

  /** Hours other than the open one that late readings changed: exceeded alerts, marked late. */
  async #checkPastHours(config: DeviceConfig, hours: number[], msg: ApplyReadings) {
    const stored = await this.#store.hourTotals(this.id, hours);
    for (const hour of hours) {
      const pending = msg.batch.hours.get(hourKey(this.id, hour))?.kwh ?? 0;
      const total = roundKwh((stored.get(hour) ?? 0) + pending);
      if (!isExceeded(total, config.maxHourlyKwh)) continue;
      const exists = msg.batch.alerts.some(
        (a) => a.deviceId === this.id && a.hourStart === hour && a.kind === 'exceeded',
      );
      if (!exists)
        msg.batch.alerts.push(
          newAlert(config, 'exceeded', hour, total, hourEndOf(hour, config.timeZone) <= msg.now),
        );
    }
  }
}

export const hourKey = (deviceId: string, hourStart: number) => `${deviceId}|${hourStart}`;

function addHour(
  batch: ShardBatch,
  deviceId: string,
  hourStart: number,
  kwh: number,
  readings: number,
  price: number | undefined,
) {
  const key = hourKey(deviceId, hourStart);
  const entry = batch.hours.get(key);
  if (entry) {
    entry.kwh = roundKwh(entry.kwh + kwh);
    entry.readings += readings;
  } else {
    batch.hours.set(key, { deviceId, hourStart, kwh, readings, price });
  }
}

function newAlert(
  config: DeviceConfig,
  kind: NewAlert['kind'],
  hourStart: number,
  kwh: number,
  late: boolean,
): NewAlert {
  return {
    id: randomUUID(),
    deviceId: config.id,
    kind,
    hourStart,
    kwh,
    maxHourlyKwh: config.maxHourlyKwh,
    late,
  };
}
