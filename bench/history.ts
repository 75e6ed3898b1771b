/**
 * A year of history (issue 14): HISTORY_DEVICES (2,000) devices with a year of
 * hourly aggregates and a month of 10-minute raw readings, seeded in SQL
 * (generate_series, foreign-key triggers off for the load) into a fresh
 * schema, because what is measured is the consumption views' read and the
 * disk, not ingest (bench/ingest.ts measures that). Then the day view
 * (`?date=`), the month view (`from/to`, interval=day) and the year view
 * (a year, interval=day) through the real app (auth, zod, JSON), one request
 * at a time after a warm-up, each for a random device and period; p50/p95 of
 * the wall time per request. Disk: pg_total_relation_size of the readings
 * partitions (the month extrapolated to a year) and of `hourly`, per device.
 */
import { testApp } from '../api/testing.ts';

export interface HistoryBenchResult {
  devices: number;
  hourlyRows: number;
  rawRows: number;
  seedSeconds: number;
  requests: number;
  views: Array<{ name: string; targetMs: number; p50Ms: number; p95Ms: number; buckets: number }>;
  rawBytesPerDeviceYear: number;
  hourlyBytesPerDeviceYear: number;
}

const DAY = 86_400_000;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function benchHistory(
  devices = Number(process.env.HISTORY_DEVICES ?? 2000),
  requests = Number(process.env.HISTORY_REQUESTS ?? 100),
  onProgress: (m: string) => void = () => {},
): Promise<HistoryBenchResult> {
  const t = await testApp();
  try {
    const { sql } = t.db;
    const seedStarted = performance.now();
    // The year ends at the start of the current UTC hour; the raw month is its last 30 days.
    const [row] = await sql<{ end: Date }[]>`select date_trunc('hour', now()) as "end"`;
    const end = row!.end;
    const yearStart = new Date(end.getTime() - 365 * DAY);
    const monthStart = new Date(end.getTime() - 30 * DAY);
    await sql`insert into devices (id, name, max_hourly_kwh, meter_kind, time_zone, owner_id)
      select gen_random_uuid(), 'meter ' || i, 3, 'interval',
        (array['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'])[1 + i % 4], ${t.adminId}::uuid
      from generate_series(1, ${devices}) as i`;
    const ids = (await sql<{ id: string }[]>`select id from devices order by id`).map((r) => r.id);
    // In chunks of devices, one transaction each, with the foreign-key triggers off for the
    // load (session_replication_role; every row references a device inserted above).
    const chunk = 100;
    for (let i = 0; i < ids.length; i += chunk) {
      const part = ids.slice(i, i + chunk);
      await sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`insert into hourly (device_id, hour_start, kwh, readings)
          select d, h, round((0.2 + random() * 1.5)::numeric, 9), 6
          from unnest(${part}::uuid[]) as d,
            generate_series(${yearStart}::timestamptz, ${end}::timestamptz - interval '1 hour', interval '1 hour') as h`;
        await tx`insert into readings (device_id, ts, value, kwh)
          select d, ts, v, v::numeric from (
            select d, ts, round((random() * 0.3)::numeric, 9)::float8 as v
            from unnest(${part}::uuid[]) as d,
              generate_series(${monthStart}::timestamptz, ${end}::timestamptz - interval '10 minutes', interval '10 minutes') as ts
          ) x`;
      });
      onProgress(`history: seeded ${Math.min(i + chunk, ids.length)}/${ids.length} devices`);
    }
    await sql`vacuum analyze hourly`.simple();
    await sql`vacuum analyze readings`.simple();
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const [counts] = await sql<{ hourly: number; raw: number }[]>`
      select (select count(*) from hourly)::float8 as hourly, (select count(*) from readings)::float8 as raw`;

    const [sizes] = await sql<{ raw: number; hourly: number }[]>`
      select (select coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) from pg_inherits i
              where i.inhparent = 'readings'::regclass)::float8 as raw,
        pg_total_relation_size('hourly')::float8 as hourly`;

    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const device = () => ids[Math.floor(random() * ids.length)]!;
    // Whole local days inside the seeded year (a day or two of margin at both ends).
    const someDay = () => dateOf(yearStart.getTime() + (2 + Math.floor(random() * 360)) * DAY);
    const someMonth = () => {
      const d = new Date(yearStart.getTime() + (40 + Math.floor(random() * 300)) * DAY);
      const from = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
      const to = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
      return `from=${dateOf(from.getTime())}&to=${dateOf(to.getTime())}`;
    };
    const year = `from=${dateOf(yearStart.getTime() + 2 * DAY)}&to=${dateOf(end.getTime() - DAY)}`;
    const views = [
      // The floor every view pays: auth, the device lookup, JSON (measured in the same run, for ratios).
      { name: 'baseline: GET /api/devices/:id', targetMs: 0, query: () => '' },
      { name: 'day (`?date=`, 24 hours)', targetMs: 20, query: () => `date=${someDay()}` },
      { name: 'month (interval=day)', targetMs: 50, query: () => `${someMonth()}&interval=day` },
      { name: 'year (interval=day)', targetMs: 200, query: () => `${year}&interval=day` },
    ];
    const results: HistoryBenchResult['views'] = [];
    for (const v of views) {
      const get = async () => {
        const path = v.targetMs === 0 ? '' : `/consumption?${v.query()}`;
        const res = await t.request('GET', `/api/devices/${device()}${path}`);
        if (res.status !== 200) throw new Error(`${v.name}: ${res.status} ${await res.text()}`);
        return (await res.json()) as { hours?: unknown[] };
      };
      for (let i = 0; i < 10; i++) await get(); // warm-up: plans, caches
      const times: number[] = [];
      let buckets = 0;
      for (let i = 0; i < requests; i++) {
        const started = performance.now();
        const body = await get();
        times.push(performance.now() - started);
        buckets = body.hours?.length ?? 0;
      }
      times.sort((a, b) => a - b);
      results.push({
        name: v.name,
        targetMs: v.targetMs,
        p50Ms: pct(times, 0.5),
        p95Ms: pct(times, 0.95),
        buckets,
      });
      onProgress(`history: ${v.name} p95 ${pct(times, 0.95).toFixed(1)} ms`);
    }
    return {
      devices,
      hourlyRows: counts!.hourly,
      rawRows: counts!.raw,
      seedSeconds,
      requests,
      views: results,
      rawBytesPerDeviceYear: (sizes!.raw / devices) * (365 / 30),
      hourlyBytesPerDeviceYear: sizes!.hourly / devices,
    };
  } finally {
    await t.close();
  }
}
