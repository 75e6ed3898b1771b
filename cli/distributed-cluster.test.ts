/**
 * The multi-process SIGKILL test over a real 3-master Redis Cluster on
 * loopback (faults/redis-cluster.ts): two runtime nodes and an api node
 * whose REDIS_URL lists the cluster's nodes. Under a steady load one runtime
 * node is killed with SIGKILL; afterwards every device's total equals what was
 * accepted, to the last reading (invariants 1, 2, 4 with the shards' queues,
 * leases and epochs spread over three Redis masters).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RedisClusterRig, startRedisCluster } from '../faults/redis-cluster.ts';
import { redisKeys } from '../runtime/redis/keys.ts';
import { adminToken, type Cluster, createDevices, startCluster } from './testing/cluster.ts';
import { expectExactTotals, holders, startLoad, waitForTotals } from './testing/load.ts';

const DEVICES = 24;
const SHARDS = 16;

let rig: RedisClusterRig | undefined;
let cluster: Cluster | undefined;
beforeAll(async () => {
  rig = await startRedisCluster({ masters: 3 });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  await rig?.close();
});

it('loses and double-counts nothing over a Redis Cluster when a runtime node is killed with SIGKILL', async () => {
  cluster = await startCluster({ shards: SHARDS, redisUrl: rig!.url });
  const c = cluster;
  // One api node (the two-api topology is distributed.test.ts's): each process costs seconds of
  // start-up, and this file must stay within its time budget in `npm test`.
  const [runtimeA, runtimeB, api] = await Promise.all([
    c.start('runtime'),
    c.start('runtime'),
    c.start('api'),
  ]);
  const token = await adminToken(api.url);
  const ids = await createDevices(api.url, token, DEVICES);
  const waitForOwners = async (want: (h: Array<string | null>) => boolean) => {
    for (let i = 0; ; i++) {
      const h = await holders(c, SHARDS);
      if (want(h)) return h;
      if (i > 600) throw new Error(`shard owners: ${h.join(',')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitForOwners((h) => h.includes(runtimeA.nodeId) && h.includes(runtimeB.nodeId));
  // The shards' keys live on all three masters.
  const keys = redisKeys(c.prefix, 'readings');
  const masters = new Set(
    await Promise.all(Array.from({ length: SHARDS }, (_, s) => rig!.masterOf(keys.lease(s)))),
  );
  expect(masters.size).toBe(3);

  const load = startLoad([api.url], token, ids);
  await waitForLoad(load, 10);
  runtimeA.signal('SIGKILL');
  await waitForOwners((h) => h.every((x) => x === runtimeB.nodeId));
  const atKill = load.batches;
  await waitForLoad(load, atKill + 10); // accepted after the failover too
  await load.stop();
  await waitForTotals(c, load);
  await expectExactTotals(c, load);
  expect(await runtimeA.exited).toBe(null); // killed by a signal
}, 85_000);

async function waitForLoad(load: { batches: number }, batches: number): Promise<void> {
  while (load.batches < batches) await new Promise((r) => setTimeout(r, 50));
}
