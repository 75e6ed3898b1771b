/**
 * No request hangs on an outage (invariant 8; docs/API.md: 503 within 5 s).
 * postgres.js does not fail a query while it cannot connect: the query
 * waits in the pool, retrying, for as long as the database is away. So every
 * /api request gets a deadline: a handler that has not answered by then is
 * answered 503 `unavailable` with Retry-After, and its late result is
 * dropped. What it was doing may still complete (a write that lands after
 * the 503): docs/API.md says a 503 means "not known; retry", and the writes
 * that matter are idempotent (readings are deduplicated).
 *
 * The deadline is for dependencies, not for our own CPU: time a handler spends
 * hashing a password (queued behind the hash gate on a busy machine) is
 * excluded with `excludingDeadline`, so a slow scrypt is never mistaken for a
 * database that does not answer.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import { unavailable } from '../errors.ts';

export const REQUEST_DEADLINE_MS = 4500;

/** Runs CPU-bound `work` (password hashing) outside the request's deadline, when there is one. */
export function excludingDeadline<T>(c: Context<AppEnv>, work: () => Promise<T>): Promise<T> {
  const deadline = c.get('deadline');
  return deadline ? deadline.excluding(work) : work();
}

export function requestDeadline(ms = REQUEST_DEADLINE_MS): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let endsAt = Date.now() + ms;
    let excluded = 0; // works running outside the clock
    let pausedAt = 0;
    c.set('deadline', {
      async excluding(work) {
        if (excluded++ === 0) pausedAt = Date.now();
        try {
          return await work();
        } finally {
          if (--excluded === 0) endsAt += Date.now() - pausedAt;
        }
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      const check = () => {
        const left = excluded > 0 ? ms : endsAt - Date.now();
        if (left <= 0) resolve('late');
        else timer = setTimeout(check, left);
      };
      timer = setTimeout(check, ms);
    });
    const handled = next().then(() => 'done' as const);
    const first = await Promise.race([handled, late]);
    clearTimeout(timer);
    if (first === 'done') return;
    handled.catch(() => {}); // finishes in the background; its answer is no longer wanted
    const error = unavailable('The service could not answer in time; a dependency is not answering');
    return c.json(error.toBody(), 503, error.headers);
  };
}
