/**
 * The events a runtime node pushes to browsers (docs/API.md, Socket.IO), as
 * plain types with the one function that builds an alert event. The shard
 * processor (pushing a freshly committed alert) and the REST layer (listing
 * stored alerts) both build alerts here, so the pushed event and the REST
 * body cannot drift apart; api/contract.ts checks its zod schemas against
 * these types at compile time.
 */
import { formatIsoWithOffset } from './time.ts';

/**
 * `silent`: no reading for the device's `silentAfterMinutes`; one per silence,
 * acknowledged by the device's next reading. Its `hourStart` is the local hour
 * in which the silence became due (last reading + the limit), `kwh` is 0.
 */
export type AlertKind = 'exceeded' | 'projected' | 'silent';

/** The `alert` event, and each item of `GET /api/alerts`. */
export interface AlertEvent {
  id: string;
  deviceId: string;
  deviceName: string;
  ownerId: string | null;
  kind: AlertKind;
  /** The local hour's start, with the device zone's offset. */
  hourStart: string;
  kwh: number;
  maxHourlyKwh: number;
  late: boolean;
  createdAt: string;
  acknowledgedAt: string | null;
}

/** The `live` event: the running hour of one device, at most once a second. */
export interface LiveTotal {
  deviceId: string;
  hourStart: string;
  kwh: number;
  rolling60Kwh: number;
  projectedKwh: number;
  at: string;
}

/** Events that runtime nodes emit (through the event publisher) and api nodes relay unchanged. */
export interface RuntimeEvents {
  alert: AlertEvent;
  live: LiveTotal;
}

/** A stored alert, times in epoch ms. */
export interface AlertFacts {
  id: string;
  deviceId: string;
  kind: AlertKind;
  hourStart: number;
  kwh: number;
  maxHourlyKwh: number;
  late: boolean;
  createdAt: number;
  acknowledgedAt: number | null;
}

/** The device an alert belongs to, as far as the event shows it. */
export interface AlertDevice {
  name: string;
  ownerId: string | null;
  timeZone: string;
}

export function alertEvent(alert: AlertFacts, device: AlertDevice): AlertEvent {
  return {
    id: alert.id,
    deviceId: alert.deviceId,
    deviceName: device.name,
    ownerId: device.ownerId,
    kind: alert.kind,
    hourStart: formatIsoWithOffset(alert.hourStart, device.timeZone),
    kwh: alert.kwh,
    maxHourlyKwh: alert.maxHourlyKwh,
    late: alert.late,
    createdAt: new Date(alert.createdAt).toISOString(),
    acknowledgedAt: alert.acknowledgedAt === null ? null : new Date(alert.acknowledgedAt).toISOString(),
  };
}
