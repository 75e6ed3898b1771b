/**
 * The Redis event publisher with Redis away: the emitter's PUBLISH must not
 * become an unhandled rejection (it ended a runtime node during the Redis
 * partition fault test), and emit() must say the event did not leave.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../testing/backends.ts';
import type { FailureContext } from '../types.ts';
import { RedisEventPublisher } from './events.ts';

const opened: Redis[] = [];
afterEach(() => {
  for (const r of opened.splice(0)) r.disconnect();
});

describe('RedisEventPublisher', () => {
  it('answers false and reports the failure when Redis does not take the event (no unhandled rejection)', async () => {
    // Nothing listens on port 1; no retries, no offline queue: PUBLISH fails at once.
    const away = new Redis({
      port: 1,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    away.on('error', () => {});
    opened.push(away);
    const reported: FailureContext[] = [];
    const events = new RedisEventPublisher(away, 'ems-test:socket.io', (_e, context) =>
      reported.push(context),
    );
    expect(await events.emit(['admins'], 'alert', { id: 'a' })).toBe(false);
    expect(reported).toEqual([{ where: 'socket event publish' }]);
  });

  it('answers true once Redis has the event', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    opened.push(redis);
    const events = new RedisEventPublisher(redis, 'ems-test:socket.io');
    expect(await events.emit(['admins'], 'alert', { id: 'a' })).toBe(true);
    expect(await events.emit([], 'alert', { id: 'b' })).toBe(false); // no rooms: never a broadcast to all
  });
});
