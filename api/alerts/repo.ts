/** Alerts in Postgres, joined with their device for name and owner. */
import { alertEvent } from '../../core/events.ts';
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
