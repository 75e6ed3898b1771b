/**
 * Retry timing: exponential backoff with full jitter (a random delay between 0
 * and the exponential cap), so many simulators hitting a recovering server do
 * not retry in step. The sleep is abortable so Ctrl-C never waits on a backoff.
 */
import type { Random } from './prng.ts';

export interface RetryPolicy {
  /** First cap, doubled per attempt. Default 250 ms. */
  baseDelayMs: number;
  /** Ceiling of any delay, including a server's Retry-After. Default 10 s. */
  maxDelayMs: number;
  /** Attempts per batch before giving up; default Infinity (a batch is resent until accepted). */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxAttempts: Infinity,
};

/** Delay before retry number `attempt` (1 = first retry), honouring a server hint. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: Random = Math.random,
  retryAfterMs?: number,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = random() * cap;
  if (retryAfterMs !== undefined) return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs));
  return jittered;
}

/** `Retry-After` in seconds or as an HTTP date → ms, if present and sane. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Always an `AbortError`, whatever reason the signal carries, so callers test one name. */
export function abortError(): Error {
  return new DOMException('The operation was aborted', 'AbortError');
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** Resolves after `ms`, or rejects with an AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
