// The hourly limit check and the end-of-hour projection behind the two alert kinds:
// `exceeded` (the hour's total is over the device's limit) and `projected` (it is not
// yet, but at the recent rate it will be by the end of the hour).
//
// Totals are compared after `roundKwh`, so binary noise such as 0.1 + 0.2 cannot push
// a total that equals the limit over it: the limit is exceeded only when strictly
// greater, to the 9th decimal.
//
// Projection rule (README.md of this folder has a worked example): a reading's energy
// belongs to the hour of its timestamp, and it is the energy of the interval that ENDS
// there. So the energy still to come into this hour is carried by the readings stamped
// after `now` and before the hour's end — not by the one stamped at the next hour's
// start, which belongs to the next hour. With the recent rate r (energy per ms) and the
// meter's cadence Δ (mean time between readings), that is r × max(0, time left − Δ):
//
//   projected = hour total + r × max(0, hourEnd − now − Δ)
//   r = energy of the window's readings after its first one / time from first to last
//   Δ = time from first to last / (readings − 1)
//
// The first reading of the window is left out of r because its energy belongs to the
// time before it (for a new device, to before the device was seen at all). A steady
// pace therefore projects its true end-of-hour total (or less, when readings are not
// aligned with the hour), so a device below its limit never gets a warning. No
// projection — the hour total is returned — until 10 minutes of the hour have passed,
// the hour has 2 readings, and the window has 2 readings 10 minutes apart: one early
// spike must not raise a warning for the whole hour.

import { roundKwh } from './meter.ts';
import type { Pace } from './window.ts';

/** Minimum time into the hour, and minimum span of the window's readings, before projecting. */
export const MIN_PROJECTION_DATA_MS = 10 * 60_000;
/** Minimum readings in the hour before projecting. */
export const MIN_PROJECTION_READINGS = 2;

/**
 * True when the total is strictly over the limit. A missing or non-finite limit
 * means no limit.
 */
export function isExceeded(total: number, max: number | null | undefined): boolean {
  if (max === null || max === undefined || !Number.isFinite(max)) return false;
  return roundKwh(total) > max;
}

export interface ProjectionInput {
  /** Start and end of the local hour being projected (time.ts hourStartOf / hourEndOf). */
  hourStart: number;
  hourEnd: number;
  /** The instant the projection is made for, normally the latest reading's timestamp. */
  now: number;
  /** kWh counted in this hour so far. */
  hourTotal: number;
  /** Readings counted in this hour so far. */
  hourReadings: number;
  /** The recent readings' rate and cadence: RollingWindow.pace(now). */
  pace: Pace;
}

/** The total the hour is heading for; `hourTotal` itself when there is too little data to say. */
export function projectHour(input: ProjectionInput): number {
  const { hourStart, hourEnd, now, hourTotal, hourReadings, pace } = input;
  if (
    hourEnd - now <= 0 ||
    now - hourStart < MIN_PROJECTION_DATA_MS ||
    hourReadings < MIN_PROJECTION_READINGS ||
    pace.readings < 2 ||
    pace.spanMs < MIN_PROJECTION_DATA_MS ||
    !(pace.kwhAfterFirst > 0)
  ) {
    return hourTotal;
  }
  const rate = pace.kwhAfterFirst / pace.spanMs;
  const cadence = pace.spanMs / (pace.readings - 1);
  return roundKwh(hourTotal + rate * Math.max(0, hourEnd - now - cadence));
}

/** Warn ahead: the projection is over the limit while the total is not (yet). */
export function shouldWarnProjected(
  projected: number,
  total: number,
  max: number | null | undefined,
): boolean {
  return isExceeded(projected, max) && !isExceeded(total, max);
}
