/**
 * Two api nodes on real Redis (a random key prefix per file) form one
 * Socket.IO cluster with the runtime's emitter: an alert published by a
 * RedisEventPublisher reaches the owner and the admins on whichever node they
 * are connected to, and nobody else.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventPublisher } from '../../runtime/redis/events.ts';
import { redisKeys } from '../../runtime/redis/keys.ts';
import type { Alert } from '../contract.ts';
import { TEST_REDIS_URL, type TestApp, testApp } from '../testing.ts';
import { type ApiNode, closeAllSockets, connect, nextEvent, recorder, startApiNode } from './testing.ts';

const prefix = `t_${randomBytes(5).toString('hex')}`;
let t: TestApp;
let redis: Redis;
let emitter: RedisEventPublisher;
let node1: ApiNode;
let node2: ApiNode;

beforeAll(async () => {
  t = await testApp();
  redis = new Redis(TEST_REDIS_URL);
  emitter = new RedisEventPublisher(redis, redisKeys(prefix).socketIo);
  const deps = { ...t.deps, events: emitter };
  node1 = await startApiNode(deps, { redisUrl: TEST_REDIS_URL, redisPrefix: prefix });
  node2 = await startApiNode(deps, { redisUrl: TEST_REDIS_URL, redisPrefix: prefix });
});

afterEach(() => closeAllSockets());

afterAll(async () => {
  await node1?.close();
  await node2?.close();
  // Pub/sub leaves no keys, but make sure nothing under this prefix survives the test.
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await t.close();
});

const alertFor = (ownerId: string): Alert => ({
  id: crypto.randomUUID(),
  deviceId: crypto.randomUUID(),
  deviceName: 'Heater',
  ownerId,
  kind: 'exceeded',
  hourStart: '2026-03-29T00:00:00.000Z',
  kwh: 2.5,
  maxHourlyKwh: 2,
  late: false,
  createdAt: '2026-03-29T00:30:00.000Z',
  acknowledgedAt: null,
});

describe('two api nodes with the Redis adapter', () => {
  it('an alert from the emitter reaches the owner on node 2 and an admin on node 1, not another client', async () => {
    const alice = await t.createClient();
    const bob = await t.createClient();
    const a = await connect(node2.url, { token: alice.token });
    const admin = await connect(node1.url, { token: t.adminToken });
    const b1 = await connect(node1.url, { token: bob.token });
    const b2 = await connect(node2.url, { token: bob.token });
    const seenByBob = [recorder(b1), recorder(b2)];

    const alert = alertFor(alice.id);
    const toAlice = nextEvent(a, 'alert');
    const toAdmin = nextEvent(admin, 'alert');
    emitter.emit([`user:${alice.id}`, 'admins'], 'alert', alert);
    expect(await toAlice).toEqual(alert);
    expect(await toAdmin).toEqual(alert);

    // Redis delivers in publish order: once Bob has the marker, he would have had the alert too.
    const marker = alertFor(bob.id);
    const markers = [nextEvent(b1, 'alert'), nextEvent(b2, 'alert')];
    emitter.emit([`user:${bob.id}`], 'alert', marker);
    expect(await Promise.all(markers)).toEqual([marker, marker]);
    for (const seen of seenByBob) expect(seen).toEqual([{ event: 'alert', payload: marker }]);
  });

  it('a `live` total to the admins reaches admins on both nodes', async () => {
    const onNode1 = await connect(node1.url, { token: t.adminToken });
    const onNode2 = await connect(node2.url, { token: t.adminToken });
    const live = {
      deviceId: crypto.randomUUID(),
      hourStart: '2026-03-29T01:00:00.000Z',
      kwh: 0.4,
      rolling60Kwh: 1.1,
      projectedKwh: 1.6,
      at: '2026-03-29T01:15:00.000Z',
    };
    const got = [nextEvent(onNode1, 'live'), nextEvent(onNode2, 'live')];
    emitter.emit(['admins'], 'live', live);
    expect(await Promise.all(got)).toEqual([live, live]);
  });
});
