/**
 * The fleet summary's queries. They read only `devices`, the per-device
 * `device_live` row (kept in the shard transactions, db/device-store.ts) and
 * the last day of `alerts` — never raw readings — so the answer stays fast at
 * 100,000 devices. "Now" is a parameter: each device's open hour and local
 * day are instants stored with the row, compared with it without zone math.
 */
import { formatIsoWithOffset } from '../../core/time.ts';
import type { Sql } from '../../db/connect.ts';
import type { FleetSummary } from '../contract.ts';

const HOUR = 3_600_000;
/** A device "reports" while its latest reading is younger than this (docs/API.md, Fleet). */
const REPORTING_MS = HOUR;

interface Totals {
  reporting: number;
  silent: number;
  overLimitNow: number;
  liveKwh: string | null;
  todayKwh: string | null;
}

export async function fleetSummary(sql: Sql, nowMs: number = Date.now()): Promise<FleetSummary> {
  const now = new Date(nowMs);
  const since = new Date(nowMs - REPORTING_MS);
  const firstHour = Math.floor(nowMs / HOUR) * HOUR - 23 * HOUR;
  // Small statements; on a pool they run side by side.
  const [counts, totals, top, alerts] = await Promise.all([
    sql<{ devices: number; assigned: number }[]>`
      select count(*)::int as devices, count(owner_id)::int as assigned from devices`,
    // One pass over the narrow per-device rows.
    sql<Totals[]>`
      select count(*) filter (where last_ts > ${since})::int as reporting,
        count(*) filter (where last_ts <= ${since})::int as silent,
        count(*) filter (where hour_start <= ${now} and hour_end > ${now}
          and hour_kwh > max_hourly_kwh)::int as "overLimitNow",
        sum(hour_kwh) filter (where hour_start <= ${now} and hour_end > ${now})::text as "liveKwh",
        sum(day_kwh) filter (where day_start <= ${now} and day_end > ${now})::text as "todayKwh"
      from device_live`,
    sql<{ deviceId: string; name: string; todayKwh: string; maxHourlyKwh: number }[]>`
      select d.id as "deviceId", d.name, t.day_kwh::text as "todayKwh", d.max_hourly_kwh as "maxHourlyKwh"
      from (select device_id, day_kwh from device_live
            where day_start <= ${now} and day_end > ${now} and day_kwh > 0
            order by day_kwh desc, device_id limit 10) t
      join devices d on d.id = t.device_id
      order by t.day_kwh desc, d.name, d.id`,
    sql<{ h: number; kind: string; n: number }[]>`
      select (extract(epoch from hour_start) * 1000)::float8 as h, kind, count(*)::int as n
      from alerts where hour_start >= ${new Date(firstHour)} and hour_start <= ${now}
      group by hour_start, kind`,
  ]);
  const t = totals[0]!;
  return {
    devices: counts[0]!.devices,
    assigned: counts[0]!.assigned,
    reporting: t.reporting,
    silent: t.silent,
    overLimitNow: t.overLimitNow,
    liveKwh: kwh(t.liveKwh),
    todayKwh: kwh(t.todayKwh),
    alertsLast24h: alertsPerHour(alerts, firstHour),
    top: top.map((r) => ({ ...r, todayKwh: kwh(r.todayKwh) })),
  };
}

/** Exact numeric sums arrive as text; energy leaves as a number rounded to the stored 1e-9 kWh. */
const kwh = (text: string | null) => (text === null ? 0 : Math.round(Number(text) * 1e9) / 1e9);

/**
 * 24 UTC hours, oldest first, the last being the current one; an alert counts in the UTC
 * hour its local hour starts in (the same hour for whole-hour zones, the earlier half for :30).
 */
function alertsPerHour(rows: Array<{ h: number; kind: string; n: number }>, firstHour: number) {
  const hours = Array.from({ length: 24 }, (_, i) => ({
    hourStart: formatIsoWithOffset(firstHour + i * HOUR, 'UTC'),
    exceeded: 0,
    projected: 0,
    silent: 0,
  }));
  for (const r of rows) {
    const entry = hours[Math.floor((r.h - firstHour) / HOUR)];
    if (entry && (r.kind === 'exceeded' || r.kind === 'projected' || r.kind === 'silent'))
      entry[r.kind] += r.n;
  }
  return hours;
}
