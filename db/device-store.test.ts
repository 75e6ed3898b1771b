/**
 * The shared store suite (actors/store.suite.ts) against the Postgres
 * DeviceStore, in a fresh schema of the real Postgres dropped afterwards; and
 * one differential check: the shard processor fed the same messy replay ends
 * in the same stored state on Postgres as on the in-memory store, which the
 * database-free actor tests rely on.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDeviceStore } from '../actors/memory-store.ts';
import type { ReadingTuple } from '../actors/messages.ts';
import { ShardProcessor } from '../actors/shard-processor.ts';
import { registerStoreSuite } from '../actors/store.suite.ts';
import type { DeviceConfig, DeviceStore, NewAlert } from '../actors/store.ts';
import { sensorValues } from '../actors/testing.ts';
import { PostgresDeviceStore } from './device-store.ts';
import { type TestDb, testDatabase } from './testing.ts';

async function insertDevice(db: TestDb, c: DeviceConfig) {
  if (c.ownerId)
    await db.sql`insert into users (id, username, name, role, password_hash)
      values (${c.ownerId}, ${`u-${c.ownerId}`}, 'owner', 'client', 'x') on conflict do nothing`;
  await db.sql`insert into devices (id, name, owner_id, max_hourly_kwh, meter_kind, time_zone, silent_after_minutes)
    values (${c.id}, ${c.name}, ${c.ownerId}, ${c.maxHourlyKwh}, ${c.meterKind}, ${c.timeZone},
      ${c.silentAfterMinutes ?? null})`;
}

registerStoreSuite('postgres', async () => {
  const db = await testDatabase();
  return {
    store: new PostgresDeviceStore(db.sql),
    addDevice: (config) => insertDevice(db, config),
    async deleteDevice(id) {
      await db.sql`delete from devices where id = ${id}`;
    },
    silentAlerts: (id) =>
      db.sql<Array<{ id: string; since: number; acknowledged: boolean }>>`
        select id, (extract(epoch from silent_since) * 1000)::float8 as since, acknowledged_at is not null as acknowledged
        from alerts where device_id = ${id} and kind = 'silent' order by silent_since`,

    teardown: () => db.close(),
  };
});

describe('the shard processor on Postgres and on the memory store', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(() => db?.close());

  const HOUR = 3_600_000;
  const MIDNIGHT = Date.parse('2026-03-10T00:00:00+02:00');

  /** A day of sensor.csv in a shuffled order with some readings repeated, in jobs of 1 to 12. */
  function messyJobs(deviceId: string): ReadingTuple[][] {
    const values = sensorValues(145);
    const readings = values.map((v, i) => [deviceId, MIDNIGHT + i * 600_000, v] as ReadingTuple);
    let s = 42;
    const next = (n: number) => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s % n;
    };
    const order = [...readings, ...readings.filter((_, i) => i % 7 === 0)];
    for (let i = order.length - 1; i > 0; i--) {
      const j = next(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const jobs: ReadingTuple[][] = [];
    for (let i = 0; i < order.length; ) {
      const n = 1 + next(12);
      jobs.push(order.slice(i, i + n));
      i += n;
    }
    return jobs;
  }

  async function run(store: DeviceStore, deviceId: string) {
    const processor = new ShardProcessor({
      shards: 1,
      store,
      events: { emit: () => {} },
      now: () => MIDNIGHT + 25 * HOUR,
    });
    try {
      await processor.onAcquired(0, 1);
      const alerts: NewAlert[] = [];
      for (const job of messyJobs(deviceId)) {
        alerts.push(...(await processor.processPayload(0, { readings: job }, 1)).alerts);
      }
      const hours = Array.from({ length: 25 }, (_, h) => MIDNIGHT + h * HOUR);
      const snapshot = (await store.loadMany([deviceId])).get(deviceId)!;
      return {
        readings: await store.around(deviceId, MIDNIGHT, MIDNIGHT + 25 * HOUR),
        hours: Object.fromEntries(await store.hourTotals(deviceId, hours)),
        snapshot: { ...snapshot, openHourAlerts: [...snapshot.openHourAlerts].sort() },
        alerts: alerts
          .map(({ id: _, createdAt: __, ...rest }) => rest)
          .sort((a, b) => a.hourStart - b.hourStart || a.kind.localeCompare(b.kind)),
        stats: { applied: processor.totals.applied, duplicates: processor.totals.duplicates },
      };
    } finally {
      await processor.close();
    }
  }

  it('ends in the same stored state for a shuffled replay with duplicates', async () => {
    const config: DeviceConfig = {
      id: randomUUID(),
      name: 'meter',
      ownerId: null,
      maxHourlyKwh: 1.2,
      meterKind: 'cumulative',
      timeZone: 'Europe/Bucharest',
    };
    await insertDevice(db, config);
    const memory = new MemoryDeviceStore();
    memory.putDevice(config);

    const [onPostgres, inMemory] = [
      await run(new PostgresDeviceStore(db.sql), config.id),
      await run(memory, config.id),
    ];
    expect(onPostgres.readings).toHaveLength(145);
    expect(onPostgres.stats.applied).toBe(145);
    expect(onPostgres.alerts.length).toBeGreaterThan(0);
    expect(inMemory).toEqual(onPostgres);
  });
});
