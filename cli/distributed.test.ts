/**
 * The distributed topology as separate processes on loopback: two runtime
 * nodes and two api nodes over the real Postgres and Redis. Under a steady
 * load of readings, one runtime node is killed with SIGKILL (and, in another
 * test, paused so its leases expire under it); afterwards every device's total
 * equals the sum of what was accepted, to the last reading (invariants 1, 2, 4).
 */
import { describe, expect, it } from 'vitest';
import { type Cluster, closeAfterEach, startCluster, startTwoByTwo } from './testing/cluster.ts';
import { expectExactTotals, holders as shardHolders, startLoad, waitForTotals } from './testing/load.ts';

const DEVICES = 40;
const SHARDS = 16;

const holders = (cluster: Cluster) => shardHolders(cluster, SHARDS);

async function waitForOwner(cluster: Cluster, nodeId: string, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const h = await holders(cluster);
    if (h.every((x) => x === nodeId)) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`shards not all owned by ${nodeId}: ${h.join(',')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const closeAfter = closeAfterEach();

describe('two runtime nodes and two api nodes', () => {
  it('loses and double-counts nothing when a runtime node is killed with SIGKILL under load', async () => {
    const cluster = closeAfter(await startCluster({ shards: SHARDS }));
    const { runtimeA, runtimeB, api1, api2, token, ids } = await startTwoByTwo(cluster, DEVICES);
    const before = await holders(cluster);
    expect(new Set(before)).toEqual(new Set([runtimeA.nodeId, runtimeB.nodeId])); // both own shards

    const load = startLoad([api1.url, api2.url], token, ids);
    await new Promise((r) => setTimeout(r, 2500));
    runtimeA.signal('SIGKILL');
    const failoverMs = await waitForOwner(cluster, runtimeB.nodeId);
    await new Promise((r) => setTimeout(r, 1500));
    await load.stop();
    await waitForTotals(cluster, load);
    await expectExactTotals(cluster, load);
    expect(await runtimeA.exited).toBe(null); // killed by a signal
    expect(load.batches).toBeGreaterThan(10);
    console.info(
      `SIGKILL failover: all ${SHARDS} shards owned by the survivor after ${failoverMs} ms; ${load.batches} batches`,
    );
  }, 180_000);

  it('fences a paused runtime node: its leases expire, the other takes over, nothing counts twice', async () => {
    const cluster = closeAfter(await startCluster({ shards: SHARDS }));
    const { runtimeA, runtimeB, api1, api2, token, ids } = await startTwoByTwo(cluster, DEVICES);
    const load = startLoad([api1.url, api2.url], token, ids);
    await new Promise((r) => setTimeout(r, 2000));
    const epochsBefore = await cluster.sql<
      { shard: number; epoch: number }[]
    >`select shard, epoch::int from shard_fences`;
    runtimeA.signal('SIGSTOP');
    await waitForOwner(cluster, runtimeB.nodeId);
    await new Promise((r) => setTimeout(r, 1000));
    runtimeA.signal('SIGCONT'); // wakes up believing it still holds its shards, mid-job perhaps
    await new Promise((r) => setTimeout(r, 3000));
    await load.stop();
    await waitForTotals(cluster, load);
    await expectExactTotals(cluster, load);
    const epochsAfter = new Map(
      (await cluster.sql<{ shard: number; epoch: number }[]>`select shard, epoch::int from shard_fences`).map(
        (r) => [r.shard, r.epoch],
      ),
    );
    const moved = epochsBefore.filter((r) => (epochsAfter.get(r.shard) ?? 0) > r.epoch);
    expect(moved.length).toBeGreaterThan(0); // the shards of the paused node were re-fenced
  }, 180_000);
});
