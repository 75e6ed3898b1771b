/**
 * Group commit against the real Postgres: jobs of several shards share one
 * transaction, and a fenced job in a shared commit fails alone while the
 * others still commit (each exactly once).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommitter } from '../actors/group-commit.ts';
import { emptyBatch, FencedError, type ShardBatch } from '../actors/store.ts';
import { PostgresDeviceStore } from './device-store.ts';
import { type TestDb, testDatabase } from './testing.ts';

let db: TestDb;
let store: PostgresDeviceStore;
const ids = Array.from({ length: 6 }, () => randomUUID());
const HOUR = Date.parse('2026-03-10T10:00:00Z');

beforeAll(async () => {
  db = await testDatabase();
  store = new PostgresDeviceStore(db.sql);
  await db.sql`insert into devices (id, name, max_hourly_kwh, meter_kind, time_zone)
    select unnest(${ids}::uuid[]), 'meter', 1e6, 'interval', 'UTC'`;
  for (let shard = 0; shard < 6; shard++) await store.fence(shard, 5);
});
afterAll(() => db.close());

function batchFor(deviceId: string, ts: number, kwh: number): ShardBatch {
  const b = emptyBatch();
  b.inserts.push({ deviceId, ts, value: kwh, kwh });
  b.hours.set(`${deviceId}|${HOUR}`, { deviceId, hourStart: HOUR, kwh, readings: 1 });
  return b;
}

async function hourTotal(deviceId: string) {
  const rows = await db.sql<
    { kwh: number; n: number }[]
  >`select kwh, readings as n from hourly where device_id = ${deviceId}`;
  return rows[0] ?? { kwh: 0, n: 0 };
}

describe('group commit', () => {
  it('shares transactions between concurrent jobs of different shards', async () => {
    const committer = new GroupCommitter(store, { maxInFlight: 1 });
    await Promise.all(ids.map((id, shard) => committer.commit(shard, 5, batchFor(id, HOUR + 1000, 0.5))));
    expect(committer.stats.jobs).toBe(6);
    expect(committer.stats.transactions).toBeLessThan(6);
    for (const id of ids) expect(await hourTotal(id)).toEqual({ kwh: 0.5, n: 1 });
  });

  it('isolates a fenced job: it fails alone, the others commit once', async () => {
    await store.fence(2, 9); // shard 2 moved on to a newer owner
    const committer = new GroupCommitter(store, { maxInFlight: 1 });
    const results = await Promise.allSettled(
      ids.map((id, shard) => committer.commit(shard, 5, batchFor(id, HOUR + 2000, 0.25))),
    );
    expect(results[2]!.status).toBe('rejected');
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(FencedError);
    ids.forEach((_, shard) => {
      if (shard !== 2) expect(results[shard]!.status).toBe('fulfilled');
    });
    expect(await hourTotal(ids[2]!)).toEqual({ kwh: 0.5, n: 1 });
    for (const id of ids.filter((_, s) => s !== 2)) expect(await hourTotal(id)).toEqual({ kwh: 0.75, n: 2 });
  });
});
