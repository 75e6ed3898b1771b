/**
 * Failed-login throttling: after `maxFailures` failures for one username (or
 * one client address) within `windowMs`, further attempts get 429 until the
 * window passes. Kept in memory per api node; a success clears the username.
 */
export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
}

export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #opts: ThrottleOptions;

  constructor(opts: ThrottleOptions = { maxFailures: 5, windowMs: 5 * 60_000 }) {
    this.#opts = opts;
  }

  /** Milliseconds until another attempt is allowed for any of the keys, or 0. */
  retryAfterMs(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const recent = this.#recent(key, now);
      if (recent.length >= this.#opts.maxFailures) {
        wait = Math.max(wait, recent[0]! + this.#opts.windowMs - now);
      }
    }
    return wait;
  }

  fail(keys: string[], now = Date.now()): void {
    for (const key of keys) {
      const recent = this.#recent(key, now);
      recent.push(now);
      this.#failures.set(key, recent);
    }
    if (this.#failures.size > 100_000) this.#sweep(now);
  }

  succeed(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string, now: number): number[] {
    return (this.#failures.get(key) ?? []).filter((t) => t > now - this.#opts.windowMs);
  }

  #sweep(now: number) {
    for (const [key, list] of this.#failures) {
      if (!list.some((t) => t > now - this.#opts.windowMs)) this.#failures.delete(key);
    }
  }
}
