/**
 * What the consumption views read: a device's stored hourly rows, or its raw
 * readings (the exact source for any other zone, docs/API.md, Consumption).
 * Energies come back as numeric text, summed exactly by buckets.ts.
 */
import type { Sql } from '../../db/connect.ts';

/** One stored row: its instant (hour start, or reading time), energy and cost as numeric text, readings counted. */
export interface EnergyRow {
  t: Date;
  kwh: string;
  n: number;
  /** Null where no tariff priced it (readings stored before any tariff). */
  cost: string | null;
}

/** The device's hourly rows with hour_start in [from, to). */
export function storedHours(sql: Sql, deviceId: string, from: number, to: number): Promise<EnergyRow[]> {
  return sql<
    EnergyRow[]
  >`select hour_start as t, kwh::text as kwh, readings as n, cost::text as cost from hourly
    where device_id = ${deviceId} and hour_start >= ${new Date(from)} and hour_start < ${new Date(to)}`;
}

/** The device's readings with ts in [from, to), one row each. */
export function storedReadings(sql: Sql, deviceId: string, from: number, to: number): Promise<EnergyRow[]> {
  return sql<EnergyRow[]>`select ts as t, kwh::text as kwh, 1 as n, cost::text as cost from readings
    where device_id = ${deviceId} and ts >= ${new Date(from)} and ts < ${new Date(to)}`;
}

/**
 * The device's hourly rows summed per bucket in Postgres (numeric, exact): one row per
 * bucket that has any, at the bucket's start. For long ranges by day (a year: 366 rows
 * instead of 8,760 to parse), bucketEntries then gives the same totals to the last digit.
 */
export function storedBucketSums(
  sql: Sql,
  deviceId: string,
  buckets: ReadonlyArray<{ start: number; end: number }>,
): Promise<EnergyRow[]> {
  return sql<
    EnergyRow[]
  >`select to_timestamp(b.s / 1000.0) as t, x.kwh::text as kwh, x.n::int as n, x.cost::text as cost
    from unnest(${buckets.map((b) => b.start)}::float8[], ${buckets.map((b) => b.end)}::float8[]) as b(s, e)
    cross join lateral (
      select sum(kwh) as kwh, sum(readings) as n, sum(cost) as cost from hourly
      where device_id = ${deviceId} and hour_start >= to_timestamp(b.s / 1000.0) and hour_start < to_timestamp(b.e / 1000.0)
    ) x
    where x.kwh is not null`;
}
