/**
 * No request hangs on an outage (invariant 8; API.md: 503 within 5 s).
 * postgres.js does not fail a query while it cannot connect: the query
 * waits in the pool, retrying, for as long as the database is away. So every
 * /api request gets a deadline: a handler that has not answered by then is
 * answered 503 `unavailable` with Retry-After, and its late result is
 * dropped. What it was doing may still complete (a write that lands after
 * the 503): API.md says a 503 means "not known; retry", and the writes that
 * matter are idempotent (readings are deduplicated).
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import { unavailable } from '../errors.ts';

export const REQUEST_DEADLINE_MS = 4500;

export function requestDeadline(ms = REQUEST_DEADLINE_MS): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
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
