/** Alerts in Postgres, joined with their device for name and owner. */
import { formatIsoWithOffset } from '../../actors/time.ts';
import type { Alert } from '../contract.ts';

export interface AlertRow {
  id: string;
  deviceId: string;
  deviceName: string;
  ownerId: string | null;
  kind: 'exceeded' | 'projected';
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

/** hourStart carries the device zone's offset, exactly as the pushed `alert` event does. */
export const toAlert = ({ timeZone, ...r }: AlertRow): Alert => ({
  ...r,
  hourStart: formatIsoWithOffset(r.hourStart.getTime(), timeZone),
  createdAt: r.createdAt.toISOString(),
  acknowledgedAt: r.acknowledgedAt?.toISOString() ?? null,
});
