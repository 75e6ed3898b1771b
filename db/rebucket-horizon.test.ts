/**
 * A zone change after retention dropped old raw readings (db/device-store.ts,
 * rebucket; migration 070's raw_horizon): the hours before the horizon are the
 * only record of their energy and stay; the readings after it are re-bucketed
 * in the new zone; no energy is lost or counted twice — also when the old
 * zone's hours straddle the horizon (+05:30).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyBatch, type ShardBatch } from '../actors/store.ts';
import { hourStartOf } from '../core/time.ts';
import { PostgresDeviceStore } from './device-store.ts';
import { dropReadingsBefore, ensureReadingsPartitions } from './readings-partitions.ts';
import { type TestDb, testDatabase } from './testing.ts';

const utc = (s: string) => Date.parse(`${s}Z`);
const READINGS: Array<[string, number]> = [
  ['2026-07-10T10:10:00', 1],
  ['2026-08-31T23:50:00', 2],
  ['2026-09-01T00:10:00', 4],
  ['2026-09-01T00:40:00', 8],
];

let db: TestDb;
let store: PostgresDeviceStore;
beforeAll(async () => {
  db = await testDatabase();
  store = new PostgresDeviceStore(db.sql);
  await store.fence(0, 1);
  await ensureReadingsPartitions(db.sql, utc('2026-07-01T00:00:00'), utc('2026-11-01T00:00:00'));
});
afterAll(() => db?.close());

async function deviceWithHistory(zone: string): Promise<string> {
  const id = randomUUID();
  await db.sql`insert into devices (id, name, max_hourly_kwh, meter_kind, time_zone)
    values (${id}, 'meter', 50, 'interval', ${zone})`;
  const b = emptyBatch();
  for (const [at, kwh] of READINGS) {
    const ts = utc(at);
    const hourStart = hourStartOf(ts, zone);
    b.inserts.push({ deviceId: id, ts, value: kwh, kwh });
    const h = b.hours.get(String(hourStart)) ?? { deviceId: id, hourStart, kwh: 0, readings: 0 };
    b.hours.set(String(hourStart), { ...h, kwh: h.kwh + kwh, readings: h.readings + 1 });
  }
  await store.commit(0, 1, b);
  return id;
}

const configure = (deviceId: string, timeZone: string): ShardBatch => ({
  ...emptyBatch(),
  configs: [{ deviceId, config: { maxHourlyKwh: 50, timeZone, meterKind: 'interval', version: 1 } }],
});

async function hours(id: string): Promise<Array<[string, number]>> {
  const rows = await db.sql<{ h: Date; kwh: string }[]>`
    select hour_start as h, kwh::text from hourly where device_id = ${id} order by hour_start`;
  return rows.map((r) => [r.h.toISOString().slice(0, 16), Number(r.kwh)]);
}

describe('a zone change after retention', () => {
  it('keeps the hours before the horizon and re-buckets the rest (UTC → Asia/Kolkata)', async () => {
    const id = await deviceWithHistory('UTC');
    await dropReadingsBefore(db.sql, utc('2026-09-21T12:00:00')); // horizon 2026-09-01
    await store.commit(0, 1, configure(id, 'Asia/Kolkata'));
    expect(await hours(id)).toEqual([
      ['2026-07-10T10:00', 1], // raw gone: kept
      ['2026-08-31T23:00', 2], // raw gone: kept, in the UTC grid
      ['2026-08-31T23:30', 4], // Kolkata's 05:00 hour: only the energy after the horizon
      ['2026-09-01T00:30', 8],
    ]);
  });

  it('does not count twice the readings of an old-zone hour that straddles the horizon (Asia/Kolkata → UTC)', async () => {
    const id = await deviceWithHistory('Asia/Kolkata');
    await dropReadingsBefore(db.sql, utc('2026-09-21T12:00:00'));
    await store.commit(0, 1, configure(id, 'UTC'));
    expect(await hours(id)).toEqual([
      ['2026-07-10T09:30', 1],
      ['2026-08-31T23:30', 6], // 23:30–00:30 UTC, built when its raw readings existed: kept whole
      ['2026-09-01T00:00', 8], // from 00:30 on, re-bucketed in UTC
    ]);
  });
});
