/**
 * The api nodes' pub/sub over a Redis Cluster: deleted devices and access
 * changes reach every api node, with connections made the way an api node
 * makes them at start-up; every node has an access change when its publish
 * resolves. (In a cluster PUBLISH counts only its own node's subscribers, so
 * the publisher counts them over every node; this test cannot force the race
 * an undercount would open, since the other nodes usually hear it first.)
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type RedisClusterRig, startRedisCluster } from '../faults/redis-cluster.ts';
import { connectRedis, type RedisClient } from '../runtime/redis/connect.ts';
import { type AccessChange, RedisAccessChanges } from './auth/access-changes.ts';
import { RedisDeviceInvalidations } from './readings/device-invalidations.ts';
import { apiRedisKeys } from './redis-keys.ts';

let rig: RedisClusterRig;
beforeAll(async () => {
  rig = await startRedisCluster({ masters: 3 });
}, 60_000);
afterAll(() => rig?.close());

it('announces a deleted device to the other api nodes over a Redis Cluster', async () => {
  const channel = apiRedisKeys(`t${Date.now()}`).devicesDeleted;
  const connections: RedisClient[] = [connectRedis({ url: rig.url }), connectRedis({ url: rig.url })];
  // Made before either connection is ready, as an api node does at start-up.
  const nodes = connections.map((redis) => new RedisDeviceInvalidations(redis, channel));
  try {
    await Promise.all(nodes.map((node) => node.ready()));
    const heard: string[] = [];
    nodes[1]!.subscribe((id) => {
      heard.push(id);
    });
    await nodes[0]!.publish('device-1');
    await vi.waitFor(() => expect(heard).toEqual(['device-1']), { timeout: 10_000, interval: 25 });
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
    await Promise.all(connections.map((redis) => redis.quit()));
  }
});

it('has every api node drop an access change before the publish resolves, over a Redis Cluster', async () => {
  const channel = apiRedisKeys(`t${Date.now()}`).accessChanged;
  // Three nodes: their subscriber connections land on different masters.
  const connections: RedisClient[] = [1, 2, 3].map(() => connectRedis({ url: rig.url }));
  const nodes = connections.map((redis) => new RedisAccessChanges(redis, channel));
  try {
    await Promise.all(nodes.map((node) => node.ready()));
    const heard: AccessChange[][] = nodes.map(() => []);
    for (const [i, node] of nodes.entries()) node.subscribe({ change: (c) => heard[i]!.push(c) });
    await nodes[0]!.publish({ sessions: ['s-1'] });
    // Every node had it when publish resolved (the publisher hears it locally and again from Redis).
    expect(heard.map((h) => h.some((c) => c.sessions?.[0] === 's-1'))).toEqual([true, true, true]);
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
    await Promise.all(connections.map((redis) => redis.quit()));
  }
});
