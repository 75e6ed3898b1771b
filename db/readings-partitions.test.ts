/**
 * Raw readings partitioned by UTC month (migration 070, db/readings-partitions.ts),
 * on the real Postgres and on the embedded PGlite: readings land in their
 * month's partition, the dedupe key still aborts a batch whatever partition
 * the duplicate sits in, months ahead are created, a reading older than every
 * partition is stored (default partition) and later moved into its own month,
 * retention drops whole months and leaves hourly rows and alerts alone, and
 * the migration moves existing readings over exactly.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuplicateReadingError, emptyBatch, type ShardBatch } from '../actors/store.ts';
import { type Database, openDatabase, type Sql } from './connect.ts';
import { PostgresDeviceStore } from './device-store.ts';
import { loadMigrations, migrate } from './migrate.ts';
import {
  adoptDefaultMonths,
  ensureReadingsPartitions,
  type MaintenanceResult,
  maintainReadings,
  ReadingsMaintenance,
  retentionCutoff,
} from './readings-partitions.ts';
import { databaseForTests, TEST_DATABASE_URL, type TestDb, testDatabase } from './testing.ts';

const DAY = 86_400_000;
const utc = (s: string) => Date.parse(`${s}Z`);

async function addDevice(sql: Sql): Promise<string> {
  const id = randomUUID();
  await sql`insert into devices (id, name, max_hourly_kwh, meter_kind, time_zone)
    values (${id}, 'meter', 5, 'interval', 'UTC')`;
  return id;
}

/** Which partition holds each of the device's readings, in ts order. */
async function partitionsOf(sql: Sql, deviceId: string): Promise<string[]> {
  const rows = await sql<{ p: string }[]>`
    select tableoid::regclass::text as p from readings where device_id = ${deviceId} order by ts`;
  return rows.map((r) => r.p.replace(/^.*\./, '').replace(/"/g, ''));
}

async function partitions(sql: Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'readings'::regclass order by c.relname`;
  return rows.map((r) => r.name);
}

const monthName = (t: number) => {
  const d = new Date(t);
  return `readings_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

function batchOf(deviceId: string, ts: number[]): ShardBatch {
  const b = emptyBatch();
  b.inserts = ts.map((t) => ({ deviceId, ts: t, value: 0.5, kwh: 0.5 }));
  return b;
}

describe.each(['postgres', 'embedded'] as const)('readings partitioned by month (%s)', (kind) => {
  let db: TestDb;
  let store: PostgresDeviceStore;
  beforeAll(async () => {
    db = await testDatabase(kind);
    store = new PostgresDeviceStore(db.sql);
    await store.fence(0, 1);
  });
  afterAll(() => db?.close());

  it('has this month and the next two after migrating, and stores each reading in its month', async () => {
    const now = Date.now();
    const names = await partitions(db.sql);
    const next = new Date(now);
    next.setUTCMonth(next.getUTCMonth() + 2, 1);
    expect(names).toContain(monthName(now));
    expect(names).toContain(monthName(next.getTime()));
    expect(names).toContain('readings_default');

    const device = await addDevice(db.sql);
    const lastMonth = new Date(now);
    lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1, 15);
    await store.commit(0, 1, batchOf(device, [lastMonth.getTime(), now - 60_000]));
    expect(await partitionsOf(db.sql, device)).toEqual([monthName(lastMonth.getTime()), monthName(now)]);
  });

  it('aborts a batch whose duplicate sits in another month, storing nothing of it', async () => {
    const device = await addDevice(db.sql);
    const now = Date.now();
    const old = new Date(now);
    old.setUTCMonth(old.getUTCMonth() - 1, 2);
    await store.commit(0, 1, batchOf(device, [old.getTime()]));
    await expect(store.commit(0, 1, batchOf(device, [now - 1000, old.getTime()]))).rejects.toBeInstanceOf(
      DuplicateReadingError,
    );
    const [row] = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from readings where device_id = ${device}`;
    expect(row!.n).toBe(1);
  });

  it('stores a reading older than every partition in the default one, then gives it its own month', async () => {
    const device = await addDevice(db.sql);
    const twoYearsAgo = Date.now() - 730 * DAY;
    await store.commit(0, 1, batchOf(device, [twoYearsAgo, twoYearsAgo + 1000]));
    expect(await partitionsOf(db.sql, device)).toEqual(['readings_default', 'readings_default']);

    expect(await adoptDefaultMonths(db.sql)).toBe(1);
    expect(await partitionsOf(db.sql, device)).toEqual([monthName(twoYearsAgo), monthName(twoYearsAgo)]);
    const [d] = await db.sql<{ n: number }[]>`select count(*)::int as n from readings_default`;
    expect(d!.n).toBe(0);
    // Still the dedupe key in its new home.
    await expect(store.commit(0, 1, batchOf(device, [twoYearsAgo]))).rejects.toBeInstanceOf(
      DuplicateReadingError,
    );
    expect(await adoptDefaultMonths(db.sql)).toBe(0);
  });

  it('creates the months ahead once, whoever asks (maintenance run in a later month)', async () => {
    const inAYear = Date.now() + 365 * DAY;
    const first = await maintainReadings({ sql: db.sql }, inAYear);
    expect(first.created).toBeGreaterThanOrEqual(3);
    const names = await partitions(db.sql);
    const ahead = new Date(inAYear);
    ahead.setUTCMonth(ahead.getUTCMonth() + 2, 1);
    expect(names).toContain(monthName(inAYear));
    expect(names).toContain(monthName(ahead.getTime()));
    expect(await maintainReadings({ sql: db.sql }, inAYear)).toEqual({ created: 0, dropped: 0 });
    // Twice at once (two runtime nodes): each month exactly once, no error.
    const [a, b] = await Promise.all([
      ensureReadingsPartitions(db.sql, inAYear, inAYear + 200 * DAY),
      ensureReadingsPartitions(db.sql, inAYear, inAYear + 200 * DAY),
    ]);
    expect(a + b).toBeGreaterThan(0);
    expect(new Set(await partitions(db.sql)).size).toBe((await partitions(db.sql)).length);
  });
});

describe('ReadingsMaintenance (what a runtime node starts)', () => {
  const database = databaseForTests();

  it('runs at once on start: the months ahead of its clock appear; a failing run is reported, not thrown', async () => {
    const db = database();
    const inThreeYears = Date.now() + 3 * 365 * DAY;
    let done: (r: MaintenanceResult) => void = () => {};
    const changed = new Promise<MaintenanceResult>((resolve) => {
      done = resolve;
    });
    const m1 = new ReadingsMaintenance({ sql: db.sql, now: () => inThreeYears, onChange: (r) => done(r) });
    m1.start();
    expect((await changed).created).toBe(3);
    await m1.stop();
    expect(await partitions(db.sql)).toContain(monthName(inThreeYears));

    // Retention set on a database whose functions are gone: the error reaches onError.
    await db.sql`alter function ems_drop_readings_before(timestamptz) rename to gone`;
    let reported: (err: unknown) => void = () => {};
    const failed = new Promise<unknown>((resolve) => {
      reported = resolve;
    });
    const m2 = new ReadingsMaintenance({ sql: db.sql, retentionDays: 30, onError: (err) => reported(err) });
    m2.start();
    await m2.stop();
    expect(String(await failed)).toMatch(/ems_drop_readings_before/);
  });
});

describe('retention drops whole months of raw readings only', () => {
  const database = databaseForTests();

  it('drops the months entirely older than the window; hourly, alerts and newer months stay', async () => {
    const { sql } = database();
    const device = await addDevice(sql);
    const store = new PostgresDeviceStore(sql);
    await store.fence(0, 1);
    const now = utc('2026-11-20T12:00:00');
    const ts = [
      utc('2026-07-10T10:00:00'),
      utc('2026-08-31T23:59:59'),
      utc('2026-09-01T00:00:00'),
      utc('2026-11-20T11:00:00'),
    ];
    await ensureReadingsPartitions(sql, ts[0]!, now);
    const b = batchOf(device, ts);
    for (const t of ts)
      b.hours.set(String(t), { deviceId: device, hourStart: t - (t % 3_600_000), kwh: 0.5, readings: 1 });
    b.alerts.push({
      id: randomUUID(),
      deviceId: device,
      kind: 'exceeded',
      hourStart: utc('2026-07-10T10:00:00'),
      kwh: 6,
      maxHourlyKwh: 5,
      late: false,
    });
    await store.commit(0, 1, b);
    const hourlyBefore =
      await sql`select hour_start, kwh::text from hourly where device_id = ${device} order by 1`;

    // 60 days before 2026-11-20 is 2026-09-21: July and August end before September starts.
    expect(new Date(retentionCutoff(60, now)!).toISOString()).toBe('2026-09-21T12:00:00.000Z');
    const r = await maintainReadings({ sql, retentionDays: 60 }, now);
    expect(r.dropped).toBe(2);
    const names = await partitions(sql);
    expect(names).not.toContain('readings_2026_07');
    expect(names).not.toContain('readings_2026_08');
    expect(names).toContain('readings_2026_09');

    const left = await sql<
      { t: Date }[]
    >`select ts as t from readings where device_id = ${device} order by ts`;
    expect(left.map((x) => x.t.getTime())).toEqual([ts[2], ts[3]]);
    expect(
      await sql`select hour_start, kwh::text from hourly where device_id = ${device} order by 1`,
    ).toEqual(hourlyBefore);
    const [alerts] = await sql<
      { n: number }[]
    >`select count(*)::int as n from alerts where device_id = ${device}`;
    expect(alerts!.n).toBe(1);
    const [h] = await sql<{ h: Date }[]>`select horizon as h from raw_horizon`;
    expect(h!.h.toISOString()).toBe('2026-09-01T00:00:00.000Z');
    // A second run has nothing left to drop.
    expect((await maintainReadings({ sql, retentionDays: 60 }, now)).dropped).toBe(0);
  });
});

/** Opens a fresh database (a schema of the real Postgres, or a temp PGlite) without migrating it. */
async function freshDatabase(
  kind: 'postgres' | 'embedded',
): Promise<{ db: Database; drop: () => Promise<void> }> {
  if (kind === 'embedded') {
    const dir = mkdtempSync(path.join(tmpdir(), 'ems-test-'));
    const db = await openDatabase({ dataDir: dir });
    return { db, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const db = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '.', schema, max: 2 });
  return {
    db,
    async drop() {
      const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    },
  };
}

describe.each(['postgres', 'embedded'] as const)('migration 070 on stored readings (%s)', (kind) => {
  it('moves every reading into its month, totals equal to the last digit', async () => {
    const { db, drop } = await freshDatabase(kind);
    try {
      const all = loadMigrations();
      await migrate(
        db.sql,
        all.filter((m) => m.version < '070'),
      );
      const { sql } = db;
      const devices = [await addDevice(sql), await addDevice(sql)];
      // Two devices, readings spread over 14 months (one every ~3.7 days), some priced.
      await sql`insert into readings (device_id, ts, value, kwh, cost)
        select d, timestamptz '2025-01-01 00:00:00+00' + i * interval '89 hours 17 minutes 3.25 seconds',
          i * 0.1, round((i * 0.123456789)::numeric, 9), case when i % 3 = 0 then round((i * 0.0417)::numeric, 9) end
        from unnest(${devices}::uuid[]) as d, generate_series(0, 120) as i`;
      const totals = () =>
        sql`select device_id, count(*)::int as n, sum(kwh)::text as kwh, sum(cost)::text as cost,
            min(ts) as first, max(ts) as last, sum(value) as value
          from readings group by device_id order by device_id`;
      const before = await totals();

      expect(await migrate(sql, all)).toContain('070_readings_partitioned');

      expect(await totals()).toEqual(before);
      const [d] = await sql<{ n: number }[]>`select count(*)::int as n from readings_default`;
      expect(d!.n).toBe(0);
      const perMonth = await sql<{ p: string; ok: boolean }[]>`
        select tableoid::regclass::text as p,
          bool_and(to_char(ts at time zone 'UTC', '"readings_"YYYY_MM') = regexp_replace(tableoid::regclass::text, '^.*\\.', '')) as ok
        from readings group by 1`;
      expect(perMonth.length).toBeGreaterThanOrEqual(14);
      expect(perMonth.every((r) => r.ok)).toBe(true);
    } finally {
      await db.close();
      await drop();
    }
  });
});
