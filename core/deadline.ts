/**
 * Bounded waits on a dependency (Postgres, Redis, a probe): a call that has not
 * settled in time rejects with DependencyTimeout, which the api answers as 503
 * `unavailable` (docs/API.md, Outages). The call itself is not cancelled.
 */

/** A call to a dependency that did not answer in time. */
export class DependencyTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'DependencyTimeout';
  }
}

/** Rejects with DependencyTimeout if `promise` has not settled within `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DependencyTimeout(what, ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
