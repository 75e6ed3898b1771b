/**
 * The distributed topology as separate processes on loopback: two runtime
 * nodes and two api nodes over the real Postgres and Redis. Under a steady
 * load of readings, one runtime node is killed with SIGKILL (and, in another
 * test, paused so its leases expire under it); afterwards every device's total
 * equals the sum of what was accepted, to the last reading (invariants 1, 2, 4).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisDrivers } from '../runtime/redis/index.ts';
import { adminToken, type Cluster, client, startCluster } from './testing/cluster.ts';

const DEVICES = 40;
const SHARDS = 16;

interface Load {
  stop(): Promise<void>;
  /** Accepted readings per device, in milli-kWh, and their count. */
  expected: Map<string, { milli: number; count: number }>;
  batches: number;
}

/** Posts batches round-robin over the api nodes until stopped; a failed batch is resent until accepted. */
function startLoad(urls: string[], token: string, deviceIds: string[]): Load {
  const expected = new Map(deviceIds.map((id) => [id, { milli: 0, count: 0 }]));
  let running = true;
  let seq = 0;
  const base = Date.now() - 3 * 86_400_000;
  const load: Load = { expected, batches: 0, stop: async () => {} };
  const loop = (async () => {
    while (running) {
      const readings = [];
      for (let i = 0; i < 400; i++) {
        const n = seq++;
        const deviceId = deviceIds[n % deviceIds.length]!;
        readings.push({
          deviceId,
          timestamp: base + Math.floor(n / deviceIds.length) * 1000,
          value: ((n % 9) + 1) / 1000,
        });
      }
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await client(urls[(load.batches + attempt) % urls.length]!, token)(
            'POST',
            '/api/readings',
            { readings },
          );
          if (res.status === 202) break;
          if (res.status < 500) throw new Error(`refused: ${res.status} ${JSON.stringify(res.body)}`);
        } catch (err) {
          if ((err as Error).message.startsWith('refused')) throw err;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const r of readings) {
        const e = expected.get(r.deviceId)!;
        e.milli += Math.round(r.value * 1000);
        e.count++;
      }
      load.batches++;
      // A few batches pipelined in sequence: steady, not flooding.
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  load.stop = async () => {
    running = false;
    await loop;
  };
  return load;
}

async function totals(cluster: Cluster) {
  const rows = await cluster.sql<{ id: string; kwh: string; n: number }[]>`
    select device_id as id, sum(kwh)::text as kwh, sum(readings)::int as n from hourly group by device_id`;
  return new Map(rows.map((r) => [r.id, { kwh: r.kwh, n: r.n }]));
}

async function waitForTotals(cluster: Cluster, load: Load, timeoutMs = 90_000) {
  const want = [...load.expected.values()].reduce((n, e) => n + e.count, 0);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = [...(await totals(cluster)).values()].reduce((n, e) => n + e.n, 0);
    if (got >= want) return;
    if (Date.now() > until) throw new Error(`only ${got} of ${want} readings reached the aggregates`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function expectExactTotals(cluster: Cluster, load: Load) {
  const got = await totals(cluster);
  for (const [id, e] of load.expected) {
    const row = got.get(id);
    expect(row?.n, `readings of ${id}`).toBe(e.count);
    expect(Number(row?.kwh), `kWh of ${id}`).toBe(e.milli / 1000);
  }
}

async function setUp(cluster: Cluster) {
  const runtimeA = await cluster.start('runtime');
  const runtimeB = await cluster.start('runtime');
  const api1 = await cluster.start('api');
  const api2 = await cluster.start('api');
  const token = await adminToken(api1.url);
  const ids: string[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const res = await client(api1.url, token)<{ id: string }>('POST', '/api/devices', {
      name: `Meter ${i}`,
      maxHourlyKwh: 1e6,
      meterKind: 'interval',
    });
    expect(res.status).toBe(201);
    ids.push(res.body.id);
  }
  return { runtimeA, runtimeB, api1, api2, token, ids };
}

async function holders(cluster: Cluster): Promise<Array<string | null>> {
  const drivers = createRedisDrivers({ url: cluster.env.REDIS_URL!, prefix: cluster.prefix });
  try {
    return await Promise.all(Array.from({ length: SHARDS }, (_, s) => drivers.leases.holderOf(s)));
  } finally {
    await drivers.close();
  }
}

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

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('two runtime nodes and two api nodes', () => {
  it('loses and double-counts nothing when a runtime node is killed with SIGKILL under load', async () => {
    cluster = await startCluster({ shards: SHARDS });
    const { runtimeA, runtimeB, api1, api2, token, ids } = await setUp(cluster);
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
    cluster = await startCluster({ shards: SHARDS });
    const { runtimeA, runtimeB, api1, api2, token, ids } = await setUp(cluster);
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
