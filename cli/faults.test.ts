/**
 * The outages a deployment meets, under load, with two runtime and two api
 * nodes as real processes (each reaching Postgres and Redis through its own
 * TCP proxy, see cli/testing/fault-rig.ts). Every test ends with every device
 * total exact, exactly one `exceeded` per device-hour over its limit, no 500,
 * no hung request and no process exited (invariants 1–4 and 8). The shared
 * Postgres and Redis are never stopped: the proxies cut the links, and the
 * crash test runs its own redis-server.
 *
 * Each test prints its measured recovery times (docs/RELIABILITY.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type DedicatedRedis, startDedicatedRedis } from '../faults/redis-server.ts';

import {
  fenceEpochs,
  finish,
  load,
  probe,
  type Rig,
  SHARDS,
  sleep,
  startRig,
  waitForStatus,
} from './testing/fault-rig.ts';
import { holders } from './testing/load.ts';

let rig: Rig | undefined;
let dedicated: DedicatedRedis | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await dedicated?.close();
  dedicated = undefined;
});

/** Starts the rig (afterEach closes it) and its load, and lets the load run `warmUpMs` before the outage. */
async function rigUnderLoad(warmUpMs = 2500, options?: Parameters<typeof startRig>[0]) {
  rig = await startRig(options);
  const l = load(rig);
  await sleep(warmUpMs);
  return { r: rig, l };
}

const report = (what: string, numbers: object) => console.info(`[fault] ${what}: ${JSON.stringify(numbers)}`);

describe('outages under load (2 runtime + 2 api processes)', () => {
  it('Redis unreachable for 5 s: 503 not 202 meanwhile, every shard resumes on its own, nothing lost or counted twice', async () => {
    rig = await startRig();
    const r = rig;
    const before = await fenceEpochs(r.cluster);
    const l = load(r);
    await sleep(2500);
    const cutStart = Date.now();
    for (const n of r.all) n.redis.cut(5000);
    await sleep(2500);
    const ready = await probe(`${r.api1.node.url}/readyz`);
    expect(ready.status).toBe(503);
    const cutEnd = cutStart + 5000; // when the proxies accept connections again
    await sleep(cutEnd - Date.now());
    const outcome = await finish(r, l, cutEnd);

    const inside = l.responses.filter((x) => x.sentAt >= cutStart && x.doneAt <= cutEnd - 100);
    expect(
      inside.filter((x) => x.status === 202),
      '202 while Redis was unreachable',
    ).toEqual([]);
    expect(inside.filter((x) => x.status === 503).length).toBeGreaterThan(0);
    const after = await fenceEpochs(r.cluster);
    // Leases expired during the cut: shards were re-acquired at higher epochs, so any write of the
    // old holders was fenced; totals being exact shows nothing counted twice.
    expect([...before].filter(([shard, epoch]) => (after.get(shard) ?? 0) > epoch).length).toBeGreaterThan(0);
    for (const n of [r.runtimeA, r.runtimeB])
      expect(n.node.logs.some((line) => line.includes('Redis connection lost'))).toBe(true);
    await waitForStatus(`${r.api1.node.url}/readyz`, 200);
    report('redis cut 5 s', { ...outcome, answered503: inside.filter((x) => x.status === 503).length });
  }, 60_000);

  it('Postgres unreachable for 10 s: readings still accepted into Redis, database routes 503, /readyz 503 then 200, nothing lost', async () => {
    rig = await startRig();
    const r = rig;
    // Paced: the readings accepted during the 10 s cut are the backlog to catch up on afterwards.
    const l = load(r, 100);
    await sleep(2500);
    const cutStart = Date.now();
    for (const n of r.all) n.pg.cut(10_000);
    await sleep(3000);
    const ready = await probe(`${r.api1.node.url}/readyz`);
    const devices = await probe(`${r.api2.node.url}/api/devices`, r.token);
    const runtimeReady = r.runtimeA.node.port
      ? await probe(`http://127.0.0.1:${r.runtimeA.node.port}/readyz`)
      : null;
    const cutEnd = cutStart + 10_000;
    await sleep(cutEnd - Date.now());
    const outcome = await finish(r, l, cutEnd);

    expect(ready.status).toBe(503);
    expect(devices.status).toBe(503);
    if (runtimeReady) expect(runtimeReady.status).toBe(503);
    const inside = l.responses.filter((x) => x.sentAt >= cutStart + 500 && x.doneAt <= cutEnd);
    // Known devices keep being accepted (queued in Redis) while the database is away.
    expect(inside.filter((x) => x.status === 202).length).toBeGreaterThan(0);
    const readyAfterMs = await waitForStatus(`${r.api1.node.url}/readyz`, 200);
    report('postgres cut 10 s', {
      ...outcome,
      acceptedDuringCut: inside.filter((x) => x.status === 202).length,
      readyz503Ms: ready.ms,
      devices503Ms: devices.ms,
      readyAfterMs,
    });
  }, 60_000);

  it('Redis SIGKILLed and restarted from its AOF: no reading answered 202 is lost', async () => {
    dedicated = await startDedicatedRedis({ appendfsync: 'always' });
    const { r, l } = await rigUnderLoad(3000, { redisUrl: dedicated.url });
    await dedicated.kill();
    await sleep(1000);
    await dedicated.restart();
    const restartedAt = Date.now();
    const outcome = await finish(r, l, restartedAt, 3000);
    report('redis SIGKILL + AOF restart', outcome);
  }, 60_000);

  it('a runtime node cut off from Redis only stops before its leases expire; the other takes over; nothing counts twice', async () => {
    const { r, l } = await rigUnderLoad();
    const before = await fenceEpochs(r.cluster);
    const cutStart = Date.now();
    r.runtimeA.redis.partition();
    // The survivor owns every shard once A's heartbeat and leases have expired.
    let takeoverMs = Number.NaN;
    for (;;) {
      const h = await holders(r.cluster, SHARDS);
      if (h.every((x) => x === r.runtimeB.node.nodeId)) {
        takeoverMs = Date.now() - cutStart;
        break;
      }
      if (Date.now() - cutStart > 20_000) throw new Error(`no take-over: ${h.join(',')}`);
      await sleep(100);
    }
    await sleep(1000);
    r.runtimeA.redis.heal();
    const healedAt = Date.now();
    const outcome = await finish(r, l, healedAt, 3000);
    const after = await fenceEpochs(r.cluster);
    expect([...before].filter(([shard, epoch]) => (after.get(shard) ?? 0) > epoch).length).toBeGreaterThan(0);
    expect(r.runtimeA.node.logs.some((line) => line.includes('renew-deadline'))).toBe(true);
    report('runtime node partitioned from Redis', { ...outcome, takeoverMs });
  }, 60_000);

  it('every pooled Postgres connection killed (a database restart): pools recover without restarting anything', async () => {
    const { r, l } = await rigUnderLoad();
    for (const n of r.all) n.pg.killConnections();
    await sleep(1000);
    for (const n of r.all) n.pg.killConnections();
    const killedAt = Date.now();
    const outcome = await finish(r, l, killedAt, 2000);
    const readyAfterMs = await waitForStatus(`${r.api2.node.url}/readyz`, 200);
    expect((await probe(`${r.api1.node.url}/api/devices`, r.token)).status).toBe(200);
    report('postgres connections killed', { ...outcome, readyAfterMs });
  }, 60_000);
});
