/** Devices in Postgres, and the mapping from rows to the API's `device`. */

import type { Sql } from '../../db/connect.ts';
import { pageOf } from '../../db/page.ts';
import type { Runner } from '../audit/repo.ts';
import type { Device, Tariff } from '../contract.ts';
import { notFound } from '../errors.ts';

export interface DeviceRow {
  id: string;
  name: string;
  description: string;
  address: string;
  maxHourlyKwh: number;
  meterKind: 'interval' | 'cumulative';
  timeZone: string;
  ownerId: string | null;
  tariff: Tariff | null;
  createdAt: Date;
  mqttTopic: string | null;
  mqttFormat: 'tasmota' | 'shelly' | null;
  silentAfterMinutes: number | null;
}

export const DEVICE_COLUMNS = `id, name, description, address, max_hourly_kwh as "maxHourlyKwh",
  meter_kind as "meterKind", time_zone as "timeZone", owner_id as "ownerId", tariff, created_at as "createdAt",
  mqtt_topic as "mqttTopic", mqtt_format as "mqttFormat", silent_after_minutes as "silentAfterMinutes"`;

/** The API's `device`; the row's bookkeeping (`configVersion`, see update.ts) stays inside. */
export const toDevice = (r: DeviceRow & { configVersion?: number }): Device => {
  const { configVersion: _, ...device } = r;
  return { ...device, createdAt: r.createdAt.toISOString() };
};

export async function findDevice(sql: Sql, id: string): Promise<DeviceRow | null> {
  const rows = await sql.unsafe<DeviceRow[]>(`select ${DEVICE_COLUMNS} from devices where id = $1`, [id]);
  return rows[0] ?? null;
}

export interface DeviceListQuery {
  limit: number;
  offset: number;
  ownerId?: string | undefined;
  unassigned?: boolean | undefined;
  q?: string | undefined;
}

/** A page of devices by name and the total that match, in one statement (db/page.ts). */
export async function listDevices(
  sql: Sql,
  q: DeviceListQuery,
): Promise<{ items: DeviceRow[]; total: number }> {
  const pattern = q.q ? `%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
  const where = sql`where (${q.ownerId ?? null}::uuid is null or owner_id = ${q.ownerId ?? null})
    and (not ${q.unassigned ?? false} or owner_id is null)
    and (${pattern}::text is null or name ilike ${pattern} or address ilike ${pattern})`;
  const rows = await sql<(DeviceRow & { total: number })[]>`select p.*, c.total
    from (select count(*)::int as total from devices ${where}) c
    left join lateral (select ${sql.unsafe(DEVICE_COLUMNS)} from devices ${where}
      order by name, id limit ${q.limit} offset ${q.offset}) p on true`;
  return pageOf(rows);
}

/** Which of `ids` exist; used to refuse readings for unknown devices. */
export async function existingDeviceIds(sql: Sql, ids: string[]): Promise<Set<string>> {
  const rows = await sql<{ id: string }[]>`select id from devices where id = any(${ids}::uuid[])`;
  return new Set(rows.map((r) => r.id));
}

/** Finds a device the caller may see: admins any, clients only their own (else 404, never 403: no probing). */
export async function visibleDevice(
  sql: Sql,
  user: { id: string; role: string },
  id: string,
): Promise<DeviceRow> {
  const device = await findDevice(sql, id);
  if (!device || (user.role !== 'admin' && device.ownerId !== user.id)) throw notFound('Device');
  return device;
}

/** A transaction's runner, for work that must commit with the device change (its audit entry). */
export type Within = (tx: Runner, deviceId: string) => Promise<void>;

/** A device row as inserted: everything but what the database sets. */
export type NewDeviceRow = Omit<DeviceRow, 'createdAt'>;

/** Inserts a device and runs `within` in the same transaction (all or nothing). */
export async function insertDevice(sql: Sql, d: NewDeviceRow, within: Within): Promise<DeviceRow> {
  return (await sql.begin(async (tx) => {
    const [device] = await tx<DeviceRow[]>`insert into devices
        (id, name, description, address, max_hourly_kwh, meter_kind, time_zone, owner_id, mqtt_topic, mqtt_format,
         tariff, silent_after_minutes)
      values (${d.id}, ${d.name}, ${d.description}, ${d.address}, ${d.maxHourlyKwh}, ${d.meterKind}, ${d.timeZone},
        ${d.ownerId}, ${d.mqttTopic}, ${d.mqttFormat}, ${d.tariff ? tx.json(d.tariff as never) : null},
        ${d.silentAfterMinutes})
      returning ${tx.unsafe(DEVICE_COLUMNS)}`;
    await within(tx, device!.id);
    return device!;
  })) as DeviceRow;
}

/** Deletes a device (readings, hours, alerts and tokens cascade) with `within` in the same transaction; null when absent. */
export async function deleteDevice(
  sql: Sql,
  id: string,
  within: Within,
): Promise<{ ownerId: string | null } | null> {
  return (await sql.begin(async (tx) => {
    const [row] = await tx<{ ownerId: string | null }[]>`delete from devices where id = ${id}
      returning owner_id as "ownerId"`;
    if (!row) return null;
    await within(tx, id);
    return row;
  })) as { ownerId: string | null } | null;
}
