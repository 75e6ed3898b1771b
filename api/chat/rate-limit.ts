/**
 * A sliding-window limit on chat messages per user (default 20 in 10 s), so a
 * stuck client or a script cannot flood administrators or run up assistant
 * costs. Two implementations: in memory (one process), and in Redis so that N
 * api nodes share one count per user (otherwise a user behind a balancer could
 * send N times the limit). The Redis one fails closed: while Redis cannot
 * count, a send is refused (429, retry shortly) — failing open would let a
 * script flood administrators and run up assistant costs during any outage.
 */
import type { RedisClient } from '../../runtime/redis/connect.ts';

export interface RateLimitOptions {
  /** Messages allowed per window. Default 20. */
  max: number;
  /** Window length in milliseconds. Default 10 000. */
  windowMs: number;
}

export interface RateLimiter {
  /**
   * Counts one message for `key` when allowed and resolves 0; otherwise
   * resolves the milliseconds until the next one would be allowed.
   */
  take(key: string): Promise<number>;
}

const withDefaults = (opts: Partial<RateLimitOptions>): RateLimitOptions => ({
  max: opts.max ?? 20,
  windowMs: opts.windowMs ?? 10_000,
});

export class MessageRateLimiter implements RateLimiter {
  readonly #sent = new Map<string, number[]>();
  readonly #opts: RateLimitOptions;

  constructor(opts: Partial<RateLimitOptions> = {}) {
    this.#opts = withDefaults(opts);
  }

  async take(key: string): Promise<number> {
    return this.takeAt(key, Date.now());
  }

  takeAt(key: string, now: number): number {
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

/*
 * KEYS[1] the user's sorted set of send times; ARGV: window ms, max, a unique member.
 * Returns 0 when the send is counted, else the ms until the oldest one leaves the window.
 * Uses the Redis clock, so api nodes with skewed clocks still agree.
 */
const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0`;

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisClient;
  readonly #keyPrefix: string;
  readonly #opts: RateLimitOptions;
  readonly #onError: (error: unknown) => void;
  #counter = 0;

  /** Keys are `<keyPrefix><key>`, e.g. `ems:chat:rate:<userId>`. */
  constructor(
    redis: RedisClient,
    keyPrefix: string,
    opts: Partial<RateLimitOptions> = {},
    onError: (error: unknown) => void = () => {},
  ) {
    this.#redis = redis;
    this.#keyPrefix = keyPrefix;
    this.#opts = withDefaults(opts);
    this.#onError = onError;
  }

  async take(key: string): Promise<number> {
    const member = `${process.pid}-${Date.now()}-${++this.#counter}-${Math.random()}`;
    try {
      const wait = await this.#redis.eval(
        TAKE_SCRIPT,
        1,
        `${this.#keyPrefix}${key}`,
        this.#opts.windowMs,
        this.#opts.max,
        member,
      );
      return Number(wait);
    } catch (error) {
      this.#onError(error);
      return Math.min(this.#opts.windowMs, 5_000);
    }
  }
}
