/**
 * The shared store suite (actors/store.suite.ts) against the Postgres
 * DeviceStore, in a fresh schema of the real Postgres dropped afterwards; and
 * one differential check: the shard processor fed the same messy replay ends
 * in the same stored state on Postgres as on the in-memory store, which the
 * database-free actor tests rely on.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryDeviceStore } from '../actors/memory-store.ts';
import type { ReadingTuple } from '../actors/messages.ts';
import { ShardProcessor } from '../actors/shard-processor.ts';
import { registerStoreSuite } from '../actors/store.suite.ts';
import type { DeviceConfig, DeviceStore, NewAlert } from '../actors/store.ts';
import { sensorValues } from '../actors/testing.ts';
import { PostgresDeviceStore } from './device-store.ts';
import { databaseForTests, type TestDb, testDatabase } from './testing.ts';

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
  const database = databaseForTests();

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

  /** An unowned device named "meter" with these settings, stored in `db`. */
  async function insertMeter(
    db: TestDb,
    settings: Pick<DeviceConfig, 'maxHourlyKwh' | 'meterKind' | 'timeZone'>,
  ): Promise<DeviceConfig> {
    const config: DeviceConfig = { id: randomUUID(), name: 'meter', ownerId: null, ...settings };
    await insertDevice(db, config);
    return config;
  }

  /** One shard's processor on `store`, its clock an hour past the replayed day. */
  function processorOn(store: DeviceStore): ShardProcessor {
    return new ShardProcessor({
      shards: 1,
      store,
      events: { emit: () => {} },
      now: () => MIDNIGHT + 25 * HOUR,
    });
  }

  async function run(store: DeviceStore, deviceId: string) {
    const processor = processorOn(store);
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
    const db = database();
    const config = await insertMeter(db, {
      maxHourlyKwh: 1.2,
      meterKind: 'cumulative',
      timeZone: 'Europe/Bucharest',
    });
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

  /**
   * A day of sensor.csv in time order, but every 7th reading 10 readings late, some
   * sent twice, and the last reading before midnight in Asia/Kathmandu (+05:45) alone,
   * three readings into the next day.
   */
  const BEFORE_MIDNIGHT = 121; // 23:55 in Kathmandu
  function lateJobs(deviceId: string): ReadingTuple[][] {
    const readings = sensorValues(145).map((v, i) => [deviceId, MIDNIGHT + i * 600_000, v] as ReadingTuple);
    const order: ReadingTuple[] = [];
    readings.forEach((r, i) => {
      if (i % 7 !== 3 && i !== BEFORE_MIDNIGHT) order.push(r);
      if (i >= 10 && (i - 10) % 7 === 3) order.push(readings[i - 10]!);
      if (i % 11 === 0 && i > 1) order.push(readings[i - 2]!);
    });
    const jobs: ReadingTuple[][] = [];
    for (let i = 0, n = 1; i < order.length; i += n, n = (n % 6) + 1) jobs.push(order.slice(i, i + n));
    const after = jobs.findIndex((job) => job.includes(readings[BEFORE_MIDNIGHT + 3]!));
    jobs.splice(after + 1, 0, [readings[BEFORE_MIDNIGHT]!]);
    return jobs;
  }

  it.each(['interval', 'cumulative'] as const)(
    'keeps the device_live row equal to its hourly rows after every job of a replay with late and repeated readings (%s)',
    async (meterKind) => {
      const db = database();
      const config = await insertMeter(db, { maxHourlyKwh: 1e6, meterKind, timeZone: 'Asia/Kathmandu' });
      const store = new PostgresDeviceStore(db.sql);
      const processor = processorOn(store);
      try {
        const shard = meterKind === 'interval' ? 5 : 6; // shards of their own: the other tests fenced shard 0
        const epoch = await store.fence(shard, 1);
        const seen = new Set<string>();
        for (const job of lateJobs(config.id)) {
          await processor.processPayload(shard, { readings: job }, epoch);
          const [row] = await db.sql<
            { hourKwh: string; dayKwh: string; hourTotal: string; dayTotal: string; hour: Date; day: Date }[]
          >`select l.hour_kwh::text as "hourKwh", l.day_kwh::text as "dayKwh", l.hour_start as hour, l.day_start as day,
            coalesce((select kwh from hourly h where h.device_id = l.device_id and h.hour_start = l.hour_start), 0)::text as "hourTotal",
            coalesce((select sum(kwh) from hourly h where h.device_id = l.device_id
              and h.hour_start >= l.day_start and h.hour_start < l.day_end), 0)::text as "dayTotal"
          from device_live l where l.device_id = ${config.id}`;
          expect(row).toBeDefined();
          expect(Number(row!.hourKwh)).toBe(Number(row!.hourTotal));
          expect(Number(row!.dayKwh)).toBe(Number(row!.dayTotal));
          seen.add(`${row!.day.getTime()}|${row!.hour.getTime()}`);
        }
        expect(seen.size).toBeGreaterThan(20); // the open hour (and the day) moved along the replay
      } finally {
        await processor.close();
      }
    },
  );
});
