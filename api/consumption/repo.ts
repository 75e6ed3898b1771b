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
