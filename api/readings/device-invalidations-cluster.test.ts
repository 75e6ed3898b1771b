/**
 * Deleted devices reach every api node over a Redis Cluster too: the pub/sub
 * channel works across the cluster's nodes, with connections made the way an
 * api node makes them at start-up.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type RedisClusterRig, startRedisCluster } from '../../faults/redis-cluster.ts';
import { connectRedis, type RedisClient } from '../../runtime/redis/connect.ts';
import { apiRedisKeys } from '../redis-keys.ts';
import { RedisDeviceInvalidations } from './device-invalidations.ts';

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
