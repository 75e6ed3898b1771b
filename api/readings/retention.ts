/**
 * With a raw retention period (EMS_RAW_RETENTION_DAYS) a reading older than
 * the window is refused whole-request, 422 `unprocessable`: its month of raw
 * readings — the (device, ts) dedupe key of invariant 2 — is dropped or about
 * to be (db/readings-partitions.ts), so a repeat could no longer be recognised
 * and would count twice. The REST and MQTT paths share this one rule.
 */
import { ApiError } from '../errors.ts';
import type { Reading } from './schema.ts';

const DAY_MS = 86_400_000;

/** The refusal for the readings older than `retentionDays` before `now`, or null if none is (or no retention). */
export function tooOldForRetention(
  readings: readonly Reading[],
  retentionDays: number | undefined,
  now: number,
): ApiError | null {
  if (retentionDays === undefined) return null;
  const cutoff = now - retentionDays * DAY_MS;
  const old = readings.flatMap((r, i) => (r.ts < cutoff ? [i] : []));
  if (old.length === 0) return null;
  return new ApiError(
    'unprocessable',
    `Reading older than the raw retention window of ${retentionDays} days (before ${new Date(cutoff).toISOString()}): ` +
      'its dedupe key is no longer kept, so it cannot be counted exactly once',
    old
      .slice(0, 50)
      .map((i) => ({ path: `readings.${i}.timestamp`, message: 'older than the retention window' })),
  );
}
