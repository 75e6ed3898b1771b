/** The retry policy of every owed notification (webhook deliveries, e-mails): backoff for 24 h, then `failed`. */

export const RETRY_FOR_MS = 24 * 3_600_000;

/** The wait before attempt `attempts + 1` (attempts already made ≥ 1): 5 s doubling, at most 1 h, ±20 % jitter. */
export function backoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}
