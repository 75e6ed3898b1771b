/**
 * The Redis drivers over a real 3-master Redis Cluster on loopback
 * (faults/redis-cluster.ts): the shared driver suite passes there too, every
 * key of a shard sits in one slot (BullMQ's scripts and our lease script
 * touch several at once), and the shards spread over all three masters.
 */
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RedisClusterRig, startRedisCluster } from '../../faults/redis-cluster.ts';
import { registerDriverSuite } from '../drivers.suite.ts';
import { randomPrefix, redisBackend } from '../testing/backends.ts';
import { redisDriverHarness } from '../testing/redis-harness.ts';
import { connectRedis, isCluster } from './connect.ts';
import { type ConnectionChange, watchConnection } from './connection-watch.ts';

let rig: RedisClusterRig;
beforeAll(async () => {
  rig = await startRedisCluster({ masters: 3 });
}, 60_000);
afterAll(() => rig?.close());

describe('shard keys on a Redis Cluster', () => {
  it('keeps each shard in one slot and spreads the shards over all three masters', async () => {
    const shards = 16;
    const backend = redisBackend(randomPrefix(), 'readings', rig.url);
    const drivers = backend.connect();
    try {
      expect(isCluster(drivers.redis)).toBe(true);
      for (let shard = 0; shard < shards; shard++) {
        await drivers.producer.addBulk(shard, [{ n: shard }]);
        await drivers.producer.addBulk(shard, [{ n: 1 }, { n: 2 }]);
        expect(await drivers.leases.acquire(shard, 'node-a', 10_000)).not.toBeNull();
      }
      await drivers.membership.heartbeat('node-a', 10_000);

      const keys: string[] = [];
      for (const master of (drivers.redis as Cluster).nodes('master')) {
        keys.push(...(await master.keys(`${backend.keys.prefix}:*`)));
      }
      expect(keys).toContain(backend.keys.nodes);
      const mastersOfShards = new Set<number>();
      for (let shard = 0; shard < shards; shard++) {
        const tag = backend.keys.shardTag(shard);
        const ofShard = keys.filter((key) => key.includes(tag));
        // The queue's wait list, id counter, meta, jobs; the lease and the epoch.
        expect(ofShard).toEqual(
          expect.arrayContaining([backend.keys.lease(shard), backend.keys.epoch(shard)]),
        );
        expect(ofShard.filter((key) => key.includes(backend.keys.queueName(shard))).length).toBeGreaterThan(
          3,
        );
        const slots = new Set(
          await Promise.all(ofShard.map((key) => drivers.redis.call('CLUSTER', 'KEYSLOT', key))),
        );
        expect(slots.size).toBe(1);
        mastersOfShards.add(await rig.masterOf(backend.keys.lease(shard)));
      }
      expect(mastersOfShards.size).toBe(3);
      // Every key is a shard's or the nodes set: none left untagged by accident.
      expect(keys.filter((key) => !/\{s\d+\}/.test(key))).toEqual([backend.keys.nodes]);
    } finally {
      await backend.teardown();
    }
  });
});

registerDriverSuite('redis cluster', async () =>
  redisDriverHarness(redisBackend(randomPrefix(), undefined, rig.url), rig.url),
);

// Last in the file: it stops a master of the shared cluster (and starts it again).
describe('connection watch on a Redis Cluster', () => {
  it('reports a lost master on its own, and its return', async () => {
    const changes: ConnectionChange[] = [];
    const redis = connectRedis({ url: rig.url }, { maxRetriesPerRequest: 1, commandTimeout: 1000 });
    redis.on('error', () => {});
    watchConnection(redis, 'commands', (change) => changes.push(change));
    try {
      const victim = rig.nodes[0]!;
      const key = await keyOn(victim.port);
      await redis.set(key, '1');
      const name = `commands 127.0.0.1:${victim.port}`;
      await victim.kill();
      await vi.waitFor(
        async () => {
          await redis.get(key).catch(() => {});
          expect(changes).toContainEqual({ connection: name, state: 'lost' });
        },
        { timeout: 20_000, interval: 200 },
      );
      expect(redis.status).toBe('ready'); // the other masters still serve their shards
      await victim.restart();
      await vi.waitFor(
        async () => {
          expect(await redis.get(key).catch(() => null)).toBe('1');
          expect(changes).toContainEqual({ connection: name, state: 'restored', downMs: expect.any(Number) });
        },
        { timeout: 20_000, interval: 200 },
      );
      expect(changes.filter((c) => c.connection === 'commands')).toEqual([]); // the cluster as a whole stayed up
    } finally {
      redis.disconnect();
    }
  });
});

/** A key (of some shard) that the master on `port` serves. */
async function keyOn(port: number): Promise<string> {
  for (let shard = 0; ; shard++) {
    const key = `watch-test:{s${shard}}`;
    if ((await rig.masterOf(key)) === port) return key;
  }
}
