/**
 * Test support for the actor tests and the tests that replay the classic meter
 * file through other layers: one device configuration factory, batch builders,
 * the sensor.csv register, its expected hourly totals and a seeded shuffle. Kept in one place
 * so that the memory-store tests and the Postgres-backed reading-path test
 * check the same numbers (invariant 1: an hour's energy is its register
 * difference).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { roundKwh } from './meter.ts';
import type { DeviceConfig, DeviceStore, ShardBatch } from './store.ts';

/** A 100 kWh/h interval meter in UTC with a fresh id, unless `overrides` say otherwise. */
export function deviceConfig(overrides: Partial<DeviceConfig> = {}): DeviceConfig {
  return {
    id: randomUUID(),
    name: 'meter',
    ownerId: null,
    maxHourlyKwh: 100,
    meterKind: 'interval',
    timeZone: 'UTC',
    ...overrides,
  };
}

/**
 * A store that holds nothing and writes nowhere, for measuring or driving an
 * actor where persistence is beside the point; `loadMany` can be replaced.
 */
export function nullStore(overrides: Partial<DeviceStore> = {}): DeviceStore {
  return {
    loadMany: async () => new Map(),
    around: async () => [],
    hourTotals: async () => new Map(),
    fence: async (_shard, epoch) => epoch,
    commit: async () => [],
    markPublished: async () => {},
    claimUnpublished: async () => [],
    dueSilent: async () => [],
    raiseSilent: async () => [],
    ...overrides,
  };
}

const HOUR = 3_600_000;

/** Adds a reading (its energy = `kwh`) and its hour delta to a batch, as the actor does for a UTC device. */
export function addReading(
  batch: ShardBatch,
  deviceId: string,
  ts: number,
  value: number,
  kwh = value,
): ShardBatch {
  batch.inserts.push({ deviceId, ts, value, kwh });
  addHour(batch, deviceId, Math.floor(ts / HOUR) * HOUR, kwh, 1);
  return batch;
}

/** Adds an hour delta to a batch, merged with one already there for the same device and hour. */
export function addHour(
  batch: ShardBatch,
  deviceId: string,
  hourStart: number,
  kwh: number,
  readings: number,
) {
  const key = `${deviceId}|${hourStart}`;
  const entry = batch.hours.get(key);
  if (entry) {
    entry.kwh += kwh;
    entry.readings += readings;
  } else batch.hours.set(key, { deviceId, hourStart, kwh, readings });
}

// The classic meter file lives beside the repository (../shared/data) and is never copied into it.
const SENSOR_CSV = new URL('../../shared/data/sensor.csv', import.meta.url);

/** The register values of sensor.csv (one reading every 10 minutes), the first `lines` of them or all. */
export function sensorValues(lines?: number): number[] {
  const values = readFileSync(SENSOR_CSV, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
  return lines === undefined ? values : values.slice(0, lines);
}

/** Hour h of the day holds readings 6h..6h+5; the first reading is the baseline. */
export function expectedHourly(series: number[]): number[] {
  const hours: number[] = [];
  for (let h = 0; h < 24; h++) {
    const start = h === 0 ? 0 : 6 * h - 1;
    hours.push(roundKwh(series[6 * h + 5]! - series[start]!));
  }
  return hours;
}

/** A copy of `items` in a seeded (repeatable) Fisher–Yates order. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
