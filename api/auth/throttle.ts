/**
 * Failed-login throttling that counts before it checks. An attempt first
 * reserves a slot in three fixed windows — per (username, address), per
 * username and per address — atomically, and only then is the password
 * verified; a success gives the slot back. So a burst of parallel attempts is
 * throttled like a sequence (the old code counted after the slow hash, and 40
 * parallel guesses all got through). Limits are API.md's: 5 per (username,
 * address) in 5 min, 100 per username in an hour, 50 per address in 5 min.
 * Failures from one address never lock another address out before the
 * per-username limit. `LoginThrottle` keeps the windows in this process;
 * `RedisLoginThrottle` shares them between api nodes (one Lua script per
 * attempt) and falls back to its local windows while Redis is unreachable.
 */
import { connectRedis, type RedisClient } from '../../runtime/redis/connect.ts';
import { apiRedisKeys } from '../redis-keys.ts';

export interface ThrottleLimits {
  perUserAddress: { max: number; windowMs: number };
  perUser: { max: number; windowMs: number };
  perAddress: { max: number; windowMs: number };
}

export const DEFAULT_LIMITS: ThrottleLimits = {
  perUserAddress: { max: 5, windowMs: 5 * 60_000 },
  perUser: { max: 100, windowMs: 60 * 60_000 },
  perAddress: { max: 50, windowMs: 5 * 60_000 },
};

export interface LoginLimiter {
  /** Reserves one attempt: 0 when it may go ahead, else milliseconds until one may. */
  reserve(username: string, address: string): Promise<number>;
  /** The reserved attempt succeeded, so it was no failure: give the slot back. */
  succeeded(username: string, address: string): Promise<void>;
}

function keysOf(username: string, address: string): [string, string, string] {
  const user = username.toLowerCase();
  return [`ua:${user}\u0000${address}`, `u:${user}`, `a:${address}`];
}

function limitsOf(l: ThrottleLimits) {
  return [l.perUserAddress, l.perUser, l.perAddress] as const;
}

/** In-process windows: for a single api node, and the fallback of the Redis one. */
export class LoginThrottle implements LoginLimiter {
  readonly #windows = new Map<string, { n: number; resetAt: number }>();
  readonly #limits: ThrottleLimits;
  readonly #now: () => number;

  constructor(limits: ThrottleLimits = DEFAULT_LIMITS, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  async reserve(username: string, address: string): Promise<number> {
    return this.reserveSync(username, address);
  }

  reserveSync(username: string, address: string): number {
    const now = this.#now();
    const keys = keysOf(username, address);
    const limits = limitsOf(this.#limits);
    let wait = 0;
    keys.forEach((key, i) => {
      const w = this.#live(key, now);
      if (w && w.n >= limits[i]!.max) wait = Math.max(wait, w.resetAt - now);
    });
    if (wait > 0) return wait;
    keys.forEach((key, i) => {
      const w = this.#live(key, now);
      if (w) w.n++;
      else this.#windows.set(key, { n: 1, resetAt: now + limits[i]!.windowMs });
    });
    if (this.#windows.size > 100_000) this.#sweep(now);
    return 0;
  }

  async succeeded(username: string, address: string): Promise<void> {
    const [ua, ...rest] = keysOf(username, address);
    this.#windows.delete(ua);
    for (const key of rest) {
      const w = this.#windows.get(key);
      if (w && --w.n <= 0) this.#windows.delete(key);
    }
  }

  #live(key: string, now: number) {
    const w = this.#windows.get(key);
    if (w && w.resetAt <= now) {
      this.#windows.delete(key);
      return undefined;
    }
    return w;
  }

  #sweep(now: number) {
    for (const [key, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(key);
  }
}

// KEYS: the three windows; ARGV: max1, ttl1, max2, ttl2, max3, ttl3. Returns 0 (reserved) or the
// milliseconds until the fullest window over its limit ends. Check-then-increment in one script,
// so two nodes cannot both take the last slot.
const RESERVE = `
local wait = 0
for i = 1, #KEYS do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0')
  if n >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 0 then
      ttl = tonumber(ARGV[2 * i])
      redis.call('PEXPIRE', KEYS[i], ttl)
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i]) end
end
return 0`;

const RELEASE = `
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do
  if redis.call('DECR', KEYS[i]) <= 0 then redis.call('DEL', KEYS[i]) end
end
return 0`;

/** Windows in Redis, shared by every api node. */
export class RedisLoginThrottle implements LoginLimiter {
  readonly #fallback: LoginThrottle;

  constructor(
    readonly redis: RedisClient,
    readonly prefix: string,
    readonly limits: ThrottleLimits = DEFAULT_LIMITS,
    readonly onError: (err: unknown) => void = () => {},
  ) {
    this.#fallback = new LoginThrottle(limits);
  }

  #keys(username: string, address: string) {
    return keysOf(username, address).map((k) => `${this.prefix}${k}`);
  }

  async reserve(username: string, address: string): Promise<number> {
    const args = limitsOf(this.limits).flatMap((l) => [l.max, l.windowMs]);
    try {
      const wait = await this.redis.eval(RESERVE, 3, ...this.#keys(username, address), ...args);
      return Number(wait);
    } catch (err) {
      // Redis down: this node's own windows still throttle (never fail open).
      this.onError(err);
      return this.#fallback.reserveSync(username, address);
    }
  }

  async succeeded(username: string, address: string): Promise<void> {
    await this.#fallback.succeeded(username, address);
    try {
      await this.redis.eval(RELEASE, 3, ...this.#keys(username, address));
    } catch (err) {
      this.onError(err);
    }
  }
}

/**
 * The limiter a process uses: shared in Redis when it is configured, else in
 * memory. Its own connection fails fast (no offline queue), so a Redis outage
 * costs a sign-in one round trip before the local fallback, never a hang.
 */
export function createLoginLimiter(opts: {
  redisUrl?: string | undefined;
  /** REDIS_URL is a Redis Cluster's seed node (EMS_REDIS_CLUSTER). */
  redisCluster?: boolean | undefined;
  prefix: string;
  onError: (err: unknown) => void;
}): { limiter: LoginLimiter; close(): Promise<void> } {
  if (!opts.redisUrl) return { limiter: new LoginThrottle(), close: async () => {} };
  const redis = connectRedis(
    { url: opts.redisUrl, cluster: opts.redisCluster },
    {
      connectionName: 'login-throttle',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 2000,
    },
  );
  redis.on('error', opts.onError);
  return {
    limiter: new RedisLoginThrottle(
      redis,
      apiRedisKeys(opts.prefix).loginWindows,
      DEFAULT_LIMITS,
      opts.onError,
    ),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
