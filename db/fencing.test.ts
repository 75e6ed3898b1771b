/**
 * Strict fencing (issue 10, invariant 4): a new lease holder's epoch is
 * strictly greater than every epoch any node has committed with for that
 * shard — max(lease epoch, stored fence + 1) — even when Redis lost its keys
 * and hands out a small or equal epoch; the old holder's writes are refused.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardProcessor } from '../actors/shard-processor.ts';
import { emptyBatch, FencedError, type ShardBatch } from '../actors/store.ts';
import { PostgresDeviceStore } from './device-store.ts';
import { type TestDb, testDatabase } from './testing.ts';

let db: TestDb;
let store: PostgresDeviceStore;
const device = randomUUID();
const HOUR = Date.parse('2026-03-10T10:00:00Z');
let n = 0;

beforeAll(async () => {
  db = await testDatabase();
  store = new PostgresDeviceStore(db.sql);
  await db.sql`insert into devices (id, name, max_hourly_kwh, meter_kind, time_zone)
    values (${device}, 'meter', 1e6, 'interval', 'UTC')`;
});
afterAll(() => db.close());

function batch(): ShardBatch {
  const b = emptyBatch();
  const ts = HOUR + ++n * 1000;
  b.inserts.push({ deviceId: device, ts, value: 1, kwh: 1 });
  b.hours.set(`${device}|${HOUR}`, { deviceId: device, hourStart: HOUR, kwh: 1, readings: 1 });
  return b;
}

describe('fence', () => {
  it('never grants an epoch equal to one already committed with, from another holder', async () => {
    expect(await store.fence(1, 5)).toBe(5);
    await store.commit(1, 5, batch());
    // A second holder given the same epoch 5 (Redis lost the lease) gets 6, and 5 is fenced off.
    expect(await store.fence(1, 5)).toBe(6);
    await expect(store.commit(1, 5, batch())).rejects.toBeInstanceOf(FencedError);
    await store.commit(1, 6, batch());
  });

  it('stays above the stored epoch when Redis restarts its counters from 1', async () => {
    expect(await store.fence(2, 40)).toBe(40);
    const fresh = await store.fence(2, 1);
    expect(fresh).toBe(41);
    await expect(store.commit(2, 40, batch())).rejects.toBeInstanceOf(FencedError);
    await store.commit(2, fresh, batch());
    // A normal newer grant still wins when it is higher.
    expect(await store.fence(2, 100)).toBe(100);
  });

  it('lets a processor whose lease epoch is low commit with the epoch the store granted', async () => {
    await store.fence(3, 70);
    const processor = new ShardProcessor({ shards: 1, store, events: { emit() {} }, sweepEveryMs: 0 });
    await processor.onAcquired(3, 2); // Redis lost its keys: lease epoch 2
    await processor.process(
      { id: 'j1', shard: 3, attempt: 1, payload: { readings: [[device, HOUR + 3_000_000, 1]] } },
      2,
    );
    const [row] = await db.sql<{ epoch: string }[]>`select epoch from shard_fences where shard = 3`;
    expect(Number(row!.epoch)).toBe(71);
    // A job under a lease epoch this processor was not granted is refused.
    await expect(
      processor.process({ id: 'j2', shard: 3, attempt: 1, payload: { readings: [] } }, 1),
    ).rejects.toBeInstanceOf(FencedError);
    await processor.close();
  });
});
