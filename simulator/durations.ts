/**
 * Parsing of the simulator's time arguments: meter intervals (`30s`, `10m`,
 * `1h`), instants (ISO 8601 with an offset, or `now`) and `FROM..TO` ranges.
 * Instants must carry an offset because a reading's hour depends on the
 * device's zone: a local time without one would silently shift by hours.
 */

export class InvalidValueError extends Error {
  override name = 'InvalidValueError';
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `1m`, `10m`, `1h`, `1d`, `500ms` → milliseconds (a positive integer). */
export function parseInterval(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new InvalidValueError(`"${text}" is not an interval; use e.g. 30s, 1m, 10m or 1h`);
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new InvalidValueError(`"${text}" must be a positive whole number of milliseconds`);
  }
  return ms;
}

/** Human form of a duration for logs: `10m`, `1h`, `1.5s`, `2h 05m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(1))}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  if (minutes < 60) return rest ? `${minutes}m ${String(rest).padStart(2, '0')}s` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  const mins = minutes - hours * 60;
  return mins ? `${hours}h ${String(mins).padStart(2, '0')}m` : `${hours}h`;
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** ISO 8601 with `Z` or `±hh:mm`, or `now` → epoch milliseconds. */
export function parseInstant(text: string, now: number = Date.now()): number {
  const trimmed = text.trim();
  if (trimmed === 'now') return now;
  if (!ISO_WITH_OFFSET.test(trimmed)) {
    throw new InvalidValueError(
      `"${text}" is not an ISO 8601 time with an offset (e.g. 2026-03-10T00:00:00+02:00 or …Z)`,
    );
  }
  const ms = Date.parse(trimmed);
  if (Number.isNaN(ms)) throw new InvalidValueError(`"${text}" is not a valid date`);
  return ms;
}

/** `FROM..TO` (TO exclusive, after FROM) → epoch milliseconds. */
export function parseRange(text: string, now: number = Date.now()): { from: number; to: number } {
  const parts = text.split('..');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new InvalidValueError(`"${text}" is not a range; use FROM..TO, e.g. 2026-03-01T00:00Z..now`);
  }
  const from = parseInstant(parts[0], now);
  const to = parseInstant(parts[1], now);
  if (to <= from) throw new InvalidValueError(`"${text}": TO must be after FROM`);
  return { from, to };
}
