/**
 * Test backends for the runtime's own tests: a fresh in-memory or Redis
 * backend that any number of simulated processes connect to. Each Redis
 * backend lives under a random key prefix and deletes its keys on teardown,
 * so test files can run in parallel against one Redis.
 */
import type { Cluster, Redis } from 'ioredis';
import { createMemoryDrivers, type MemoryDrivers } from '../memory/index.ts';
import {
  connectRedis,
  createRedisDrivers,
  isCluster,
  type RedisDrivers,
  type RedisKeys,
  redisKeys,
} from '../redis/index.ts';
import type { LeaseTimings, RuntimeDrivers } from '../types.ts';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Lease timings for node tests: leases, heartbeats and rebalancing a few
 * times a second, so takeovers happen within a test's bounded waits while
 * keeping the production ratios (renew well inside the lease, stop margin
 * under it).
 */
export const FAST_TIMINGS: LeaseTimings = {
  leaseMs: 2000,
  renewEveryMs: 250,
  heartbeatMs: 250,
  nodeTtlMs: 1000,
  rebalanceEveryMs: 250,
  jitterMs: 50,
  stopMarginMs: 700,
};

export interface TestBackend {
  readonly kind: 'memory' | 'redis';
  /** One process's drivers onto this backend (memory: always the same object). */
  connect(): RuntimeDrivers;
  /** Upper bound for a dead consumer's job to reach another consumer. */
  readonly redeliveryTimeoutMs: number;
  teardown(): Promise<void>;
}

export interface MemoryTestBackend extends TestBackend {
  readonly kind: 'memory';
  connect(): MemoryDrivers;
}

export interface RedisTestBackend extends TestBackend {
  readonly kind: 'redis';
  readonly keys: RedisKeys;
  connect(): RedisDrivers;
}

export function memoryBackend(): MemoryTestBackend {
  const drivers = createMemoryDrivers({ backoff: { baseMs: 10, capMs: 100 } });
  return {
    kind: 'memory',
    connect: () => drivers,
    redeliveryTimeoutMs: 2000,
    teardown: () => drivers.close(),
  };
}

export function randomPrefix(): string {
  return `ems-test-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Redis drivers on a fresh key prefix; `queueName` as the application under
 * test names its shard queues; `url` another Redis (a cluster's node list).
 */
export function redisBackend(
  prefix: string = randomPrefix(),
  queueName?: string,
  url: string = TEST_REDIS_URL,
): RedisTestBackend {
  const keys = redisKeys(prefix, queueName);
  const opened: RedisDrivers[] = [];
  return {
    kind: 'redis',
    keys,
    connect() {
      const drivers = createRedisDrivers({
        url,
        prefix,
        queueName,
        // Short locks so a dead consumer's job comes back within a couple of seconds.
        queue: { lockDurationMs: 1500, stalledIntervalMs: 500, backoff: { baseMs: 10, capMs: 100 } },
      });
      opened.push(drivers);
      return drivers;
    },
    redeliveryTimeoutMs: 15_000,
    async teardown() {
      await Promise.all(opened.map((drivers) => drivers.close()));
      await deleteKeys(keys.everything, url);
    },
  };
}

/** Deletes the keys matching `pattern`, on a single Redis or on every master of a cluster. */
export async function deleteKeys(pattern: string, url: string = TEST_REDIS_URL): Promise<void> {
  const redis = connectRedis({ url });
  try {
    const servers: Redis[] = isCluster(redis) ? await mastersOf(redis) : [redis];
    for (const server of servers) {
      let cursor = '0';
      do {
        const [next, found] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        // One DEL per key: in a cluster, keys of different slots cannot share a command.
        if (found.length > 0) await Promise.all(found.map((key) => server.del(key)));
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    await redis.quit();
  }
}

async function mastersOf(cluster: Cluster): Promise<Redis[]> {
  if (cluster.status !== 'ready') await new Promise((resolve) => cluster.once('ready', resolve));
  return cluster.nodes('master');
}
