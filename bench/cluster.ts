/**
 * `npm run bench -- cluster`: the distributed ingest (1 api + 1 runtime
 * process, 64 shards, HTTP batches of 5000) over a 3-master Redis Cluster on
 * loopback against the same over one Redis, in the same run. Both Redis
 * set-ups are started here with the same settings (redis-server 7, AOF with
 * appendfsync everysec, faults/redis-server.ts), so only the topology differs.
 * Besides throughput it counts the commands Redis processed (every node's
 * INFO stats) per reading: what a reading costs Redis, and how the cluster
 * spreads it over its masters.
 */
import { Redis } from 'ioredis';
import { adminToken, startCluster } from '../cli/testing/cluster.ts';
import { startRedisCluster } from '../faults/redis-cluster.ts';
import { startDedicatedRedis } from '../faults/redis-server.ts';
import { createDevices } from './devices.ts';
import { type IngestOptions, postAll, waitVisible } from './ingest.ts';

export interface ClusterBenchResult {
  name: string;
  readings: number;
  seconds: number;
  perSecond: number;
  /** How fast the api answered 202 (the part Redis bounds: every batch enqueued per shard). */
  acceptedPerSecond: number;
  /** Commands all Redis nodes processed during the run, per reading, less the idle rate below. */
  commandsPerReading: number;
  /** Commands per second while nothing is sent (lease renewals, heartbeats, 64 idle workers polling). */
  idleCommandsPerSecond: number;
  /** Share of those commands each master processed (one entry for a single Redis). */
  shares: number[];
}

const IDLE_SAMPLE_MS = 3000;
const sumOf = (ns: number[]) => ns.reduce((a, b) => a + b, 0);

async function commandsProcessed(ports: number[]): Promise<number[]> {
  return Promise.all(
    ports.map(async (port) => {
      const redis = new Redis(port, '127.0.0.1');
      try {
        const info = await redis.info('stats');
        return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
      } finally {
        redis.disconnect();
      }
    }),
  );
}

async function run(
  name: string,
  redisUrl: string,
  ports: number[],
  o: IngestOptions,
): Promise<ClusterBenchResult> {
  const cluster = await startCluster({ shards: 64, redisUrl });
  try {
    await cluster.start('runtime');
    const url = (await cluster.start('api')).url;
    const token = await adminToken(url);
    const ids = await createDevices(url, token, o.devices, 'Bench');
    const idleFrom = await commandsProcessed(ports);
    const idleStarted = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
    const before = await commandsProcessed(ports);
    const idlePerSecond = (sumOf(before) - sumOf(idleFrom)) / ((performance.now() - idleStarted) / 1000);
    const started = performance.now();
    const total = await postAll(url, token, ids, o);
    const postedAt = performance.now();
    await waitVisible(cluster.sql, total);
    const seconds = (performance.now() - started) / 1000;
    const after = await commandsProcessed(ports);
    const used = after.map((n, i) => n - before[i]!);
    const sum = sumOf(used);
    return {
      name,
      readings: total,
      seconds,
      perSecond: total / seconds,
      acceptedPerSecond: total / ((postedAt - started) / 1000),
      commandsPerReading: Math.max(0, sum - idlePerSecond * seconds) / total,
      idleCommandsPerSecond: idlePerSecond,
      shares: used.map((n) => n / sum),
    };
  } finally {
    await cluster.close();
  }
}

export async function benchCluster(o: IngestOptions): Promise<ClusterBenchResult[]> {
  const results: ClusterBenchResult[] = [];
  const one = await startDedicatedRedis({ appendfsync: 'everysec' });
  try {
    results.push(await run('one Redis', one.url, [one.port], o));
  } finally {
    await one.close();
  }
  const rig = await startRedisCluster({ masters: 3, appendfsync: 'everysec' });
  try {
    results.push(
      await run(
        'Redis Cluster, 3 masters',
        rig.url,
        rig.nodes.map((n) => n.port),
        o,
      ),
    );
  } finally {
    await rig.close();
  }
  return results;
}
