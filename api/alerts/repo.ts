/** Alerts in Postgres, joined with their device for name and owner: every alert query of the api. */
import { alertEvent } from '../../core/events.ts';
import type { Sql } from '../../db/connect.ts';
import { pageOf } from '../../db/page.ts';
import type { Alert, List } from '../contract.ts';

export interface AlertRow {
  id: string;
  deviceId: string;
  deviceName: string;
  ownerId: string | null;
  kind: Alert['kind'];
  hourStart: Date;
  kwh: number;
  maxHourlyKwh: number;
  late: boolean;
  createdAt: Date;
  acknowledgedAt: Date | null;
  timeZone: string;
}

export const ALERT_SELECT = `select a.id, a.device_id as "deviceId", d.name as "deviceName", d.owner_id as "ownerId",
  a.kind, a.hour_start as "hourStart", a.kwh, a.max_hourly_kwh as "maxHourlyKwh", a.late,
  a.created_at as "createdAt", a.acknowledged_at as "acknowledgedAt", d.time_zone as "timeZone"
  from alerts a join devices d on d.id = a.device_id`;

/** Built by the same function as the pushed `alert` event, so both carry the same fields and offsets. */
export const toAlert = (r: AlertRow): Alert =>
  alertEvent(
    {
      ...r,
      hourStart: r.hourStart.getTime(),
      createdAt: r.createdAt.getTime(),
      acknowledgedAt: r.acknowledgedAt?.getTime() ?? null,
    },
    { name: r.deviceName, ownerId: r.ownerId, timeZone: r.timeZone },
  );

export interface AlertQuery {
  /** Only this owner's devices (clients); null: every device (admins). */
  ownerId: string | null;
  deviceId?: string | undefined;
  /** Only alerts created at or after this ISO instant. */
  since?: string | undefined;
  status: 'open' | 'acknowledged' | 'all';
  limit: number;
  offset: number;
}

/** A page of alerts, newest first, and the total that match. */
export async function listAlerts(sql: Sql, q: AlertQuery): Promise<List<AlertRow>> {
  const where = sql`where (${q.ownerId}::uuid is null or d.owner_id = ${q.ownerId})
    and (${q.deviceId ?? null}::uuid is null or a.device_id = ${q.deviceId ?? null})
    and (${q.status} = 'all' or (${q.status} = 'open') = (a.acknowledged_at is null))
    and (${q.since ?? null}::timestamptz is null or a.created_at >= ${q.since ?? null}::timestamptz)`;
  // One statement: the count and the page planned apart, joined (db/page.ts).
  const rows = await sql<(AlertRow & { total: number })[]>`select p.*, c.total
    from (select count(*)::int as total from alerts a join devices d on d.id = a.device_id ${where}) c
    left join lateral (${sql.unsafe(ALERT_SELECT)} ${where}
      order by a.created_at desc, a.id limit ${q.limit} offset ${q.offset}) p on true`;
  return pageOf(rows);
}

/** Acknowledges an alert the owner (null: any) may see, once; null when there is none. */
export async function acknowledgeAlert(
  sql: Sql,
  id: string,
  ownerId: string | null,
): Promise<AlertRow | null> {
  const updated = await sql`update alerts a set acknowledged_at = coalesce(a.acknowledged_at, now())
    from devices d where a.id = ${id} and d.id = a.device_id and (${ownerId}::uuid is null or d.owner_id = ${ownerId})
    returning a.id`;
  if (updated.length === 0) return null;
  const rows = await sql<AlertRow[]>`${sql.unsafe(ALERT_SELECT)} where a.id = ${id}`;
  return rows[0] ?? null;
}
