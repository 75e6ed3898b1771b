/** Alerts in Postgres, joined with their device for name and owner. */
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
}

export const ALERT_SELECT = `select a.id, a.device_id as "deviceId", d.name as "deviceName", d.owner_id as "ownerId",
  a.kind, a.hour_start as "hourStart", a.kwh, a.max_hourly_kwh as "maxHourlyKwh", a.late,
  a.created_at as "createdAt", a.acknowledged_at as "acknowledgedAt"
  from alerts a join devices d on d.id = a.device_id`;

export const toAlert = (r: AlertRow): Alert => ({
  ...r,
  hourStart: r.hourStart.toISOString(),
  createdAt: r.createdAt.toISOString(),
  acknowledgedAt: r.acknowledgedAt?.toISOString() ?? null,
});
