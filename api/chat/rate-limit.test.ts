/**
 * The send limit: the in-memory window (pure, with an explicit clock) and the
 * Redis one shared by two api nodes' chat services (real Redis and Postgres).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import { silentLog, TEST_REDIS_URL, type TestApp, testApp } from '../testing.ts';
import { MessageRateLimiter, RedisRateLimiter } from './rate-limit.ts';
import { ChatService } from './service.ts';

describe('MessageRateLimiter', () => {
  it('allows max sends per window, then tells how long to wait, per key', () => {
    const limiter = new MessageRateLimiter({ max: 3, windowMs: 10_000 });
    expect([0, 1000, 2000].map((t) => limiter.takeAt('u1', t))).toEqual([0, 0, 0]);
    expect(limiter.takeAt('u1', 3000)).toBe(7000);
    expect(limiter.takeAt('u2', 3000)).toBe(0);
    expect(limiter.takeAt('u1', 10_001)).toBe(0); // the first send left the window
  });
});

describe('RedisRateLimiter shared by two api nodes', () => {
  const prefix = `t_${randomBytes(5).toString('hex')}:chat:rate:`;
  let t: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    t = await testApp();
    redis = new Redis(TEST_REDIS_URL);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await t.close();
  });

  it('counts a user’s messages on every node against one limit', async () => {
    const nodes = [0, 1].map(
      () =>
        new ChatService({
          sql: t.db.sql,
          events: t.deps.events,
          log: silentLog,
          limiter: new RedisRateLimiter(redis, prefix, { max: 3, windowMs: 600_000 }),
        }),
    );
    const erin = await t.createClient();
    const actor = { id: erin.id, role: 'client' as const, name: 'Erin' };
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      try {
        await nodes[i % 2]!.send(actor, { conversationId: erin.id, body: `message ${i}` });
        outcomes.push('sent');
      } catch (err) {
        outcomes.push(err instanceof ApiError ? err.code : String(err));
      }
    }
    expect(outcomes).toEqual(['sent', 'sent', 'sent', 'too_many_requests', 'too_many_requests']);
    // Another user has a count of its own.
    await expect(
      nodes[0]!.send({ id: t.adminId, role: 'admin', name: 'Root' }, { conversationId: erin.id, body: 'hi' }),
    ).resolves.toMatchObject({ body: 'hi' });
  });

  it('fails closed when Redis cannot answer: the send is refused, not let through uncounted', async () => {
    const broken = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    broken.disconnect();
    const errors: unknown[] = [];
    const limiter = new RedisRateLimiter(broken, prefix, { max: 1, windowMs: 10_000 }, (e) => errors.push(e));
    expect(await limiter.take('someone')).toBeGreaterThan(0);
    expect(errors).toHaveLength(1);
  });
});
