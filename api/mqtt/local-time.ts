/**
 * A wall-clock time without an offset (Tasmota's `Time`) → the instant it
 * names in a zone. Most local times name one instant. In a DST fall-back the
 * repeated hour names two; a meter publishes live, so the pass it meant is the
 * one nearest to when the message arrived (the first 01:30 arrives about an
 * hour before the second): arrival order resolves it without any state shared
 * between api nodes. A time skipped by a spring-forward names none; it is read
 * with the offset in force before the gap (as a clock that was not yet moved).
 */
import { zoneOffsetMs } from '../../core/time.ts';

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;
const DAY = 86_400_000;

/** The wall time as if it were UTC (ms), or NaN when it is not a real calendar time. */
export function wallClockMs(local: string): number {
  const m = LOCAL.exec(local);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  const real =
    back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    back.getUTCSeconds() === s;
  return real ? t + Math.floor(Number(m[7] ?? 0) * 1000) : Number.NaN;
}

/** Every instant whose local time in `zone` is `wall` (0, 1 or 2 of them, ascending). */
export function instantsOfWallTime(wall: number, zone: string): number[] {
  const offsets = new Set([
    zoneOffsetMs(wall - DAY, zone),
    zoneOffsetMs(wall, zone),
    zoneOffsetMs(wall + DAY, zone),
  ]);
  const found = new Set<number>();
  for (const offset of offsets) {
    const t = wall - offset;
    if (zoneOffsetMs(t, zone) === offset) found.add(t);
  }
  return [...found].sort((a, b) => a - b);
}

/** The instant a meter meant by local time `local` in `zone`, received at `arrivedAt`; NaN if unreadable. */
export function instantOfLocalTime(local: string, zone: string, arrivedAt: number): number {
  const wall = wallClockMs(local);
  if (!Number.isFinite(wall)) return Number.NaN;
  const candidates = instantsOfWallTime(wall, zone);
  if (candidates.length === 0) return wall - zoneOffsetMs(wall - DAY, zone);
  return candidates.reduce((best, t) => (Math.abs(t - arrivedAt) < Math.abs(best - arrivedAt) ? t : best));
}
