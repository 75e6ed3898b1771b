/**
 * A real Redis Cluster on loopback for tests and benchmarks: N masters
 * (default 3), no replicas, each a dedicated `redis-server --cluster-enabled
 * yes` (redis-server.ts: free port, own temp directory, AOF) with its cluster
 * bus on a second free port, joined with `redis-cli --cluster create`. Its
 * `url` is the comma-separated node list EMS takes as REDIS_URL.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import {
  type DedicatedRedis,
  type DedicatedRedisOptions,
  freePort,
  startDedicatedRedis,
} from './redis-server.ts';

const run = promisify(execFile);

export interface RedisClusterRig {
  readonly nodes: DedicatedRedis[];
  /** `redis://127.0.0.1:<p1>,redis://127.0.0.1:<p2>,…`: REDIS_URL for EMS. */
  readonly url: string;
  /** Which master (its port) serves `key` (CLUSTER KEYSLOT + the slot map). */
  masterOf(key: string): Promise<number>;
  close(): Promise<void>;
}

export interface RedisClusterOptions extends Pick<DedicatedRedisOptions, 'appendfsync'> {
  /** Default 3 (the smallest cluster redis-cli creates without replicas). */
  masters?: number;
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterRig> {
  const count = options.masters ?? 3;
  const nodes: DedicatedRedis[] = [];
  const close = async () => {
    await Promise.all(nodes.map((node) => node.close()));
  };
  try {
    for (let i = 0; i < count; i++) {
      const busPort = await freePort();
      nodes.push(
        await startDedicatedRedis({
          appendfsync: options.appendfsync ?? 'everysec',
          extraArgs: [
            '--cluster-enabled',
            'yes',
            '--cluster-port',
            String(busPort),
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '5000',
          ],
        }),
      );
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await Promise.all(nodes.map((node) => waitForClusterOk(node.port)));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    nodes,
    url: nodes.map((node) => `redis://127.0.0.1:${node.port}`).join(','),
    async masterOf(key) {
      const redis = new Redis(nodes[0]!.port, '127.0.0.1');
      try {
        const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
        const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`slot ${slot} of ${key} has no master`);
        return range[2][1];
      } finally {
        redis.disconnect();
      }
    },
    close,
  };
}

/** Resolves once the node says `cluster_state:ok` (every slot served, the configuration agreed). */
async function waitForClusterOk(port: number): Promise<void> {
  const redis = new Redis(port, '127.0.0.1');
  try {
    for (let attempt = 0; ; attempt++) {
      const info = String(await redis.call('CLUSTER', 'INFO'));
      if (info.includes('cluster_state:ok')) return;
      if (attempt > 200) throw new Error(`cluster node ${port} not ok:\n${info}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    redis.disconnect();
  }
}
