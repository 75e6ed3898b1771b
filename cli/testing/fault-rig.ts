/**
 * The fault-test rig: two runtime nodes and two api nodes as real processes,
 * each reaching Postgres and Redis through its own TCP proxy (faults/), so a
 * test can cut any link of any node while a steady load of readings runs,
 * and then check invariants 1–4 and 8: every device total exact, one
 * `exceeded` per device-hour over its limit, no 500, no hung request, no
 * process exited.
 */
import { expect } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../../faults/tcp-proxy.ts';
import { adminToken, type Cluster, client, type NodeProcess, startCluster } from './cluster.ts';
import {
  expectExactTotals,
  expectOneExceededPerHourOver,
  type Load,
  startLoad,
  waitForTotals,
} from './load.ts';

export const DEVICES = 40;
export const SHARDS = 16;
/** Below what the load puts into a device's hour, and not a multiple of its 0.001 kWh steps. */
export const LIMIT_KWH = 0.5005;

export interface RigNode {
  node: NodeProcess;
  pg: TcpProxy;
  redis: TcpProxy;
}

export interface Rig {
  cluster: Cluster;
  runtimeA: RigNode;
  runtimeB: RigNode;
  api1: RigNode;
  api2: RigNode;
  all: RigNode[];
  token: string;
  ids: string[];
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RigOptions {
  redisUrl?: string;
  env?: Record<string, string>;
  /** Hourly limit of device i (default LIMIT_KWH for all). */
  limitOf?: (i: number) => number;
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const cluster = await startCluster({ shards: SHARDS, redisUrl: options.redisUrl });
  const proxies: TcpProxy[] = [];
  const pgTarget = new URL(cluster.databaseUrl);
  const redisTarget = new URL(cluster.env.REDIS_URL!);
  const start = async (role: 'api' | 'runtime'): Promise<RigNode> => {
    const pg = await startTcpProxy(pgTarget.hostname, Number(pgTarget.port || 5432));
    const redis = await startTcpProxy(redisTarget.hostname, Number(redisTarget.port || 6379));
    proxies.push(pg, redis);
    // runtime nodes also answer /readyz and /metrics on PORT (ops endpoints).
    const node = await cluster.start(role, {
      DATABASE_URL: pg.url(cluster.databaseUrl),
      REDIS_URL: redis.url(cluster.env.REDIS_URL!),
      ...options.env,
    });
    return { node, pg, redis };
  };
  const close = async () => {
    await cluster.close();
    await Promise.all(proxies.map((p) => p.close()));
  };
  try {
    const runtimeA = await start('runtime');
    const runtimeB = await start('runtime');
    const api1 = await start('api');
    const api2 = await start('api');
    const token = await adminToken(api1.node.url);
    const ids: string[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const res = await client(api1.node.url, token)<{ id: string }>('POST', '/api/devices', {
        name: `Meter ${i}`,
        maxHourlyKwh: options.limitOf?.(i) ?? LIMIT_KWH,
        meterKind: 'interval',
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const all = [runtimeA, runtimeB, api1, api2];
    return { cluster, runtimeA, runtimeB, api1, api2, all, token, ids, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export function load(rig: Rig, paceMs?: number): Load {
  return startLoad([rig.api1.node.url, rig.api2.node.url], rig.token, rig.ids, undefined, paceMs);
}

/** GET with a client timeout; status -1 if no answer came (a hang). */
export async function probe(url: string, token?: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: Date.now() - started };
  } catch {
    return { status: -1, ms: Date.now() - started };
  }
}

/** Polls `url` until it answers `status` (bounded); returns how long that took. */
export async function waitForStatus(url: string, status: number, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if ((await probe(url)).status === status) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`${url} did not answer ${status} in ${timeoutMs} ms`);
    await sleep(100);
  }
}

export interface Outcome {
  /** From the end of the fault to the first reading answered 202. */
  ingestRecoveredMs: number;
  /** From the end of the fault until every accepted reading was in the aggregates. */
  caughtUpMs: number;
  devicesHoursOver: number;
  batches: number;
}

/**
 * Stops the load `settleMs` after the fault ended, waits for the aggregates,
 * and checks what every fault test checks. `faultEnd` is Date.now() when the
 * fault was healed.
 */
export async function finish(
  rig: Rig,
  l: Load,
  faultEnd: number,
  settleMs = 2000,
  minHoursOver = DEVICES,
): Promise<Outcome> {
  await sleep(settleMs);
  await l.stop();
  for (const { node } of rig.all)
    expect(node.proc.exitCode, `${node.nodeId} exited:\n${node.logs.slice(-15).join('\n')}`).toBe(null);
  await waitForTotals(rig.cluster, l, 40_000);
  const caughtUpMs = Date.now() - faultEnd;
  await expectExactTotals(rig.cluster, l);
  const devicesHoursOver = await expectOneExceededPerHourOver(rig.cluster);
  expect(devicesHoursOver).toBeGreaterThanOrEqual(minHoursOver);
  const bad = l.responses.filter((r) => r.status >= 500 && r.status !== 503);
  expect(bad, 'answers other than 202/503 (a 500 is a bug)').toEqual([]);
  expect(
    l.responses.filter((r) => r.status === -1),
    'requests that hung',
  ).toEqual([]);
  for (const { node } of rig.all)
    expect(node.proc.exitCode, `${node.nodeId} exited:\n${node.logs.slice(-15).join('\n')}`).toBe(null);
  const firstAfter = l.responses.find((r) => r.status === 202 && r.sentAt >= faultEnd);
  return {
    ingestRecoveredMs: firstAfter ? Math.max(0, firstAfter.doneAt - faultEnd) : Number.NaN,
    caughtUpMs,
    devicesHoursOver,
    batches: l.batches,
  };
}

export async function fenceEpochs(cluster: Cluster): Promise<Map<number, number>> {
  const rows = await cluster.sql<
    { shard: number; epoch: number }[]
  >`select shard, epoch::int from shard_fences`;
  return new Map(rows.map((r) => [r.shard, r.epoch]));
}
