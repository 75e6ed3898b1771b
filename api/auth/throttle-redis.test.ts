import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { TEST_REDIS_URL, testApp } from '../testing.ts';
import { LoginThrottle, RedisLoginThrottle, type ThrottleLimits } from './throttle.ts';

const prefix = `t_${randomBytes(5).toString('hex')}:login:`;
const redis = new Redis(TEST_REDIS_URL);
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const limits: ThrottleLimits = {
  perUserAddress: { max: 3, windowMs: 60_000 },
  perUser: { max: 5, windowMs: 60_000 },
  perAddress: { max: 4, windowMs: 60_000 },
};

describe.each([
  ['memory', () => new LoginThrottle(limits)],
  ['redis', () => new RedisLoginThrottle(redis, `${prefix}${randomBytes(3).toString('hex')}:`, limits)],
])('%s login throttle', (_name, make) => {
  it('reserves atomically: of 20 parallel attempts exactly the pair limit pass', async () => {
    const t = make();
    const waits = await Promise.all(Array.from({ length: 20 }, () => t.reserve('Ada', '192.0.2.1')));
    expect(waits.filter((w) => w === 0)).toHaveLength(3);
    expect(Math.min(...waits.filter((w) => w > 0))).toBeGreaterThan(0);
  });

  it('per username across addresses, per address across usernames; a success gives the slot back', async () => {
    const t = make();
    // Per address: 4 attempts over 4 usernames, the 5th refused.
    for (const u of ['a', 'b', 'c', 'd']) expect(await t.reserve(u, '192.0.2.9')).toBe(0);
    expect(await t.reserve('e', '192.0.2.9')).toBeGreaterThan(0);
    // Per username: 5 addresses, the 6th refused — for every address.
    for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'])
      expect(await t.reserve('grace', a)).toBe(0);
    expect(await t.reserve('grace', '10.0.0.6')).toBeGreaterThan(0);
    // Successes are not failures: the same pair can sign in again and again.
    for (let i = 0; i < 6; i++) {
      expect(await t.reserve('linus', '10.1.0.1')).toBe(0);
      await t.succeeded('linus', '10.1.0.1');
    }
  });
});

describe('RedisLoginThrottle when Redis is down', () => {
  it('falls back to counting locally: never fails open', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    dead.on('error', () => {});
    const errors: unknown[] = [];
    const t = new RedisLoginThrottle(dead, prefix, limits, (e) => errors.push(e));
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) waits.push(await t.reserve('ada', '192.0.2.2'));
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
    dead.disconnect();
  });
});

describe('two api nodes sharing the Redis windows', () => {
  it('failures on one node count on the other: the 6th attempt for a pair is 429 wherever it lands', async () => {
    const shared = `${prefix}nodes:`;
    const t = await testApp({ deps: { throttle: new RedisLoginThrottle(redis, shared) } });
    try {
      const other = createApp({ ...t.deps, throttle: new RedisLoginThrottle(redis, shared) }).app;
      const { username } = await t.createClient();
      const attempt = (app: typeof other, password: string) =>
        Promise.resolve(
          app.request(
            '/api/auth/login',
            {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ username, password }),
            },
            { incoming: { socket: { remoteAddress: '192.0.2.77' } } },
          ),
        );
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await attempt(i % 2 ? other : t.app, `bad-${i}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      expect((await attempt(other, 'client-password')).status).toBe(429);
      expect((await attempt(t.app, 'client-password')).status).toBe(429);
    } finally {
      await t.close();
    }
  });
});
