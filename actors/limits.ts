// The hourly limit check and the end-of-hour projection behind the two alert kinds:
// `exceeded` (the hour's total is over the device's limit) and `projected` (it is not
// yet, but at the recent rate it will be by the end of the hour).
//
// Totals are compared after `roundKwh`, so binary noise such as 0.1 + 0.2 cannot push
// a total that equals the limit over it: the limit is exceeded only when strictly
// greater, to the 9th decimal.
//
// Projection rule: projected = hour total + rate × time left in the hour, where the
// rate is the rolling window's energy divided by the time that energy covers
// (60 minutes, or less while the device is new). No projection — the hour total is
// returned — until at least 10 minutes of the hour have passed, the hour has at least
// 2 readings and the window covers at least 10 minutes: one early spike must not
// raise a warning for the whole hour.

import { roundKwh } from './meter.ts';
import { WINDOW_MS } from './window.ts';

/** Minimum time into the hour, and minimum window coverage, before projecting. */
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
  /** RollingWindow.sum(now). */
  rolling60Kwh: number;
  /** RollingWindow.coveredMs(now); defaults to a full 60 minutes. */
  windowCoveredMs?: number;
  /** Readings counted in this hour so far. */
  hourReadings: number;
}

/** The total the hour is heading for; `hourTotal` itself when there is too little data to say. */
export function projectHour(input: ProjectionInput): number {
  const { hourStart, hourEnd, now, hourTotal, rolling60Kwh, hourReadings } = input;
  const covered = Math.min(WINDOW_MS, input.windowCoveredMs ?? WINDOW_MS);
  const remaining = hourEnd - now;
  if (
    remaining <= 0 ||
    now - hourStart < MIN_PROJECTION_DATA_MS ||
    hourReadings < MIN_PROJECTION_READINGS ||
    covered < MIN_PROJECTION_DATA_MS ||
    !(rolling60Kwh > 0)
  ) {
    return hourTotal;
  }
  return roundKwh(hourTotal + (rolling60Kwh / covered) * remaining);
}

/** Warn ahead: the projection is over the limit while the total is not (yet). */
export function shouldWarnProjected(
  projected: number,
  total: number,
  max: number | null | undefined,
): boolean {
  return isExceeded(projected, max) && !isExceeded(total, max);
}
