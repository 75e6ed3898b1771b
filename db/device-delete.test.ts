/**
 * A reading never outlives its device (migration 075): `readings` has no
 * per-row foreign key; a job's transaction locks the rows of the devices it
 * writes readings for, and a device's delete removes its readings. These
 * tests race a delete against a commit in both orders on the real Postgres.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyBatch, UnknownDeviceError } from '../actors/store.ts';
import { PostgresDeviceStore } from './device-store.ts';
import { type TestDb, testDatabase } from './testing.ts';

let db: TestDb;
let store: PostgresDeviceStore;
const T0 = Date.parse('2026-03-10T10:00:00Z');

beforeAll(async () => {
  db = await testDatabase();
  store = new PostgresDeviceStore(db.sql);
  await store.fence(0, 1);
});
afterAll(() => db.close());

async function newDevice(): Promise<string> {
  const id = randomUUID();
  await db.sql`insert into devices (id, name, max_hourly_kwh, meter_kind, time_zone)
    values (${id}, 'meter', 100, 'interval', 'UTC')`;
  return id;
}

/** A batch with readings only (no hour row: the hourly foreign key cannot stand in for the check). */
function readingsOnly(deviceId: string, n: number) {
  const batch = emptyBatch();
  for (let i = 0; i < n; i++) batch.inserts.push({ deviceId, ts: T0 + i * 60_000, value: 1, kwh: 1 });
  return batch;
}

const readingsOf = async (id: string) =>
  (await db.sql<{ n: number }[]>`select count(*)::int as n from readings where device_id = ${id}`)[0]!.n;

/** Resolves once some session of this schema's database waits for a row lock. */
async function someoneWaitsForLock(settled: () => boolean) {
  while (!settled()) {
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
      where wait_event_type = 'Lock' and query ilike '%for key share%'`;
    if (row!.n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('deleting a device while its readings commit', () => {
  it('a commit waits for a delete in progress, then stores nothing', async () => {
    const id = await newDevice();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let deleted!: () => void;
    const deleteRan = new Promise<void>((r) => {
      deleted = r;
    });
    const deleting = db.sql.begin(async (tx) => {
      await tx`delete from devices where id = ${id}`;
      deleted();
      await gate;
    });
    await deleteRan;
    let settled = false;
    const committing = store.commit(0, 1, readingsOnly(id, 3)).finally(() => {
      settled = true;
    });
    committing.catch(() => {});
    await someoneWaitsForLock(() => settled);
    release();
    await deleting;
    await expect(committing).rejects.toBeInstanceOf(UnknownDeviceError);
    expect(await readingsOf(id)).toBe(0);
  });

  it('a delete after a commit removes the readings it stored', async () => {
    const id = await newDevice();
    await store.commit(0, 1, readingsOnly(id, 3));
    expect(await readingsOf(id)).toBe(3);
    await db.sql`delete from devices where id = ${id}`;
    expect(await readingsOf(id)).toBe(0);
  });
});
