/**
 * GET /api/fleet/summary at 100,000 devices (docs/API.md: ≤ 200 ms). The
 * fleet's state is seeded in SQL — devices in four zones, each with its
 * `device_live` row (as the shard transactions leave it) and a day of alerts —
 * because what is measured is the summary's read, not ingest (bench/ingest.ts
 * measures that). Then authenticated requests through the real app, one at a
 * time after a warm-up; p50/p95 of the wall time per request.
 */
import { testApp } from '../api/testing.ts';

export interface FleetBenchResult {
  devices: number;
  alerts: number;
  requests: number;
  p50Ms: number;
  p95Ms: number;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

export async function benchFleet(devices = 100_000, requests = 50): Promise<FleetBenchResult> {
  const t = await testApp();
  try {
    const { sql } = t.db;
    await sql`insert into devices (id, name, max_hourly_kwh, meter_kind, time_zone, owner_id)
      select gen_random_uuid(), 'meter ' || i, 1 + (i % 5), 'interval',
        (array['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'])[1 + i % 4],
        case when i % 3 = 0 then null else ${t.adminId}::uuid end
      from generate_series(1, ${devices}) as i`;
    // Most devices report; some went quiet hours ago; their day and hour bounds are instants.
    await sql`insert into device_live (device_id, max_hourly_kwh, last_ts, hour_start, hour_end, hour_kwh, day_start, day_end, day_kwh)
      select id, max_hourly_kwh, now() - (random() * (case when random() < 0.9 then 50 else 600 end)) * interval '1 minute',
        date_trunc('hour', now()), date_trunc('hour', now()) + interval '1 hour', round((random() * 3)::numeric, 6),
        date_trunc('day', now()), date_trunc('day', now()) + interval '1 day', round((random() * 40)::numeric, 6)
      from devices`;
    const alerts = Math.round(devices / 20);
    await sql`insert into alerts (id, device_id, kind, hour_start, kwh, max_hourly_kwh)
      select gen_random_uuid(), id, (array['exceeded', 'projected'])[1 + (row_number() over ()) % 2],
        date_trunc('hour', now()) - ((row_number() over ()) % 24) * interval '1 hour', 3, 1
      from (select id from devices limit ${alerts}) d`;
    await sql`analyze devices; analyze device_live; analyze alerts`.simple();
    const get = async () => {
      const res = await t.request('GET', '/api/fleet/summary');
      if (res.status !== 200) throw new Error(`fleet summary: ${res.status}`);
      return (await res.json()) as { devices: number };
    };
    for (let i = 0; i < 5; i++) await get(); // warm-up: plans, caches
    const times: number[] = [];
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      const body = await get();
      times.push(performance.now() - started);
      if (body.devices !== devices) throw new Error(`expected ${devices} devices, got ${body.devices}`);
    }
    times.sort((a, b) => a - b);
    return { devices, alerts, requests, p50Ms: pct(times, 0.5), p95Ms: pct(times, 0.95) };
  } finally {
    await t.close();
  }
}
