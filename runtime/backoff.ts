/**
 * The retry delay shared by both queue drivers: exponential from `baseMs`,
 * capped at `capMs` so that a shard blocked by a failing job (a database
 * restart, say) resumes within seconds of the cause going away.
 */

export interface RetryBackoff {
  /** Delay before the first retry. */
  baseMs: number;
  /** Longest delay between two retries. */
  capMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { baseMs: 50, capMs: 2000 };

/** Delay before retry number `failures` (1 after the first failure). */
export function retryDelayMs(failures: number, backoff: RetryBackoff = DEFAULT_RETRY_BACKOFF): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(backoff.baseMs * 2 ** exponent, backoff.capMs);
}
