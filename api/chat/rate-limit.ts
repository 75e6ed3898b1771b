/**
 * A sliding-window limit on chat messages per user (default 20 in 10 s), so a
 * stuck client or a script cannot flood administrators or run up assistant
 * costs. Kept in memory per api node: behind a balancer with N nodes a user
 * could at worst send N times the limit, which is still a flood brake.
 */
export interface RateLimitOptions {
  /** Messages allowed per window. Default 20. */
  max: number;
  /** Window length in milliseconds. Default 10 000. */
  windowMs: number;
}

export class MessageRateLimiter {
  readonly #sent = new Map<string, number[]>();
  readonly #opts: RateLimitOptions;

  constructor(opts: Partial<RateLimitOptions> = {}) {
    this.#opts = { max: opts.max ?? 20, windowMs: opts.windowMs ?? 10_000 };
  }

  /**
   * Counts one message for `key` when allowed and returns 0; otherwise
   * returns the milliseconds until the next one would be allowed.
   */
  take(key: string, now = Date.now()): number {
    const since = now - this.#opts.windowMs;
    const recent = (this.#sent.get(key) ?? []).filter((t) => t > since);
    if (recent.length >= this.#opts.max) {
      this.#sent.set(key, recent);
      return recent[0]! + this.#opts.windowMs - now;
    }
    recent.push(now);
    this.#sent.set(key, recent);
    if (this.#sent.size > 10_000) this.#sweep(since);
    return 0;
  }

  #sweep(since: number): void {
    for (const [key, times] of this.#sent) {
      if (times[times.length - 1]! <= since) this.#sent.delete(key);
    }
  }
}
