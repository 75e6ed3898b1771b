/**
 * Graceful stops, as separate processes on loopback over the real Postgres and
 * Redis (the topology of compose.yaml). A runtime node sent SIGTERM under load
 * drains: it finishes the job in flight, releases its leases and exits 0, and
 * its shards move to the other runtime node without losing or double-counting
 * a reading — sooner than after a SIGKILL, where the leases must expire first
 * (both durations are logged, not asserted). An api node sent SIGTERM closes
 * its sockets with a transport close, so a client that, like a load balancer,
 * knows both api nodes reconnects to the other one and receives the next alert
 * (and that node's JSON log carries the request id a load balancer sent).
 * In-process, with a job held in flight by a table lock: the drain that
 * SIGTERM starts answers /readyz 503 while it waits for that job, and the job
 * commits before the process stops.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { io as connectClient } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../api/contract.ts';
import type { ClientSocket } from '../api/realtime/testing.ts';
import { TEST_DATABASE_URL } from '../api/testing.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startProcess } from './processes.ts';
import {
  adminToken,
  type Cluster,
  client,
  closeAfterEach,
  createDevices,
  inProcessEnv,
  startCluster,
  startTwoByTwo,
} from './testing/cluster.ts';
import { expectExactTotals, holders as shardHolders, startLoad, waitForTotals } from './testing/load.ts';

const DEVICES = 40;
const SHARDS = 16;
const holders = (cluster: Cluster) => shardHolders(cluster, SHARDS);

/** Waits until the lease holders satisfy `done`; resolves with the time that took. */
async function waitForHolders(
  cluster: Cluster,
  done: (h: Array<string | null>) => boolean,
  timeoutMs = 30_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const h = await holders(cluster);
    if (done(h)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`shards not placed as expected: ${h.join(',')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const allOwnedBy = (nodeId: string) => (h: Array<string | null>) => h.every((x) => x === nodeId);

/**
 * A socket that knows every api node, as a client behind a load balancer
 * would: it starts on the first url and each reconnection attempt tries the
 * next one in turn.
 */
function failoverSocket(urls: string[], token: string) {
  let next = 0;
  const socket: ClientSocket = connectClient(urls[next]!, {
    path: '/socket.io',
    auth: { token },
    transports: ['websocket'],
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    forceNew: true,
  });
  const manager = socket.io as unknown as { uri: string; on(e: 'reconnect_attempt', f: () => void): void };
  manager.on('reconnect_attempt', () => {
    next = (next + 1) % urls.length;
    manager.uri = urls[next]!;
  });
  return { socket, url: () => urls[next]! };
}

/** "Now", at least 5 s into the UTC hour, so readings a few seconds old share the hour and add up. */
async function nowInsideHour(): Promise<number> {
  for (;;) {
    const now = Date.now();
    const into = now % 3_600_000;
    if (into >= 5000) return now;
    await new Promise((r) => setTimeout(r, 5000 - into + 50));
  }
}

const connected = (socket: ClientSocket) =>
  new Promise<void>((resolve) => (socket.connected ? resolve() : socket.once('connect', () => resolve())));

const closeAfter = closeAfterEach();

describe('SIGTERM', () => {
  it('hands a runtime node’s shards over under load, nothing lost or counted twice, sooner than SIGKILL', async () => {
    const cluster = closeAfter(await startCluster({ shards: SHARDS }));
    const { runtimeA, runtimeB, api1, api2, token, ids } = await startTwoByTwo(cluster, DEVICES);
    await waitForHolders(cluster, (h) => h.includes(runtimeA.nodeId) && h.includes(runtimeB.nodeId));

    const load = startLoad([api1.url, api2.url], token, ids);
    await new Promise((r) => setTimeout(r, 2500));
    runtimeA.signal('SIGTERM');
    const sigtermMs = await waitForHolders(cluster, allOwnedBy(runtimeB.nodeId));
    expect(await runtimeA.exited).toBe(0);
    expect(runtimeA.logs.some((l) => l.includes('"runtime node drained"'))).toBe(true);
    expect(runtimeA.logs.some((l) => l.includes('"level":50'))).toBe(false); // no error on the way out

    // The same hand-over after a SIGKILL, for comparison: a third node joins, takes its share, dies.
    const runtimeC = await cluster.start('runtime');
    await waitForHolders(cluster, (h) => h.includes(runtimeC.nodeId) && h.includes(runtimeB.nodeId));
    await new Promise((r) => setTimeout(r, 1500));
    runtimeC.signal('SIGKILL');
    const sigkillMs = await waitForHolders(cluster, allOwnedBy(runtimeB.nodeId));
    expect(await runtimeC.exited).toBe(null); // killed by the signal

    await new Promise((r) => setTimeout(r, 1000));
    await load.stop();
    await waitForTotals(cluster, load);
    await expectExactTotals(cluster, load);
    expect(load.batches).toBeGreaterThan(10);
    console.info(
      `hand-over of every shard to the survivor: after SIGTERM ${sigtermMs} ms, after SIGKILL ${sigkillMs} ms; ${load.batches} batches`,
    );
  }, 180_000);

  it('sends an api node’s sockets away to reconnect; the client gets the next alert from the other node', async () => {
    const cluster = closeAfter(await startCluster({ shards: SHARDS }));
    await cluster.start('runtime');
    const api1 = await cluster.start('api');
    const api2 = await cluster.start('api');
    const admin = await adminToken(api1.url);
    const asAdmin = client(api1.url, admin);
    const user = await asAdmin<{ id: string }>('POST', '/api/users', {
      username: 'alice',
      password: 'alice-password',
      name: 'Alice',
      role: 'client',
    });
    expect(user.status).toBe(201);
    const login = await client(api1.url)<{ token: string }>('POST', '/api/auth/login', {
      username: 'alice',
      password: 'alice-password',
    });
    const device = await asAdmin<{ id: string }>('POST', '/api/devices', {
      name: 'Kiln',
      maxHourlyKwh: 1,
      meterKind: 'interval',
      timeZone: 'UTC',
      ownerId: user.body.id,
    });
    expect(device.status).toBe(201);

    const { socket, url } = failoverSocket([api2.url, api1.url], login.body.token);
    closeAfter(socket);
    await connected(socket);
    expect(url()).toBe(api2.url);

    const gone = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    api2.signal('SIGTERM');
    // A transport close, which socket.io-client answers by reconnecting; not 'io server disconnect'.
    expect(await gone).toBe('transport close');
    await connected(socket);
    expect(url()).toBe(api1.url);
    expect(await api2.exited).toBe(0);

    const alert = new Promise<Alert>((resolve) => socket.once('alert', resolve));
    const now = await nowInsideHour();
    const posted = await asAdmin('POST', '/api/readings', {
      readings: [
        { deviceId: device.body.id, timestamp: now - 2000, value: 0.8 },
        { deviceId: device.body.id, timestamp: now - 1000, value: 0.7 },
      ],
    });
    expect(posted.status).toBe(202);
    expect(await alert).toMatchObject({ deviceId: device.body.id, kind: 'exceeded', ownerId: user.body.id });

    // The surviving node's structured log carries the load balancer's request id.
    const requestId = `lb-${randomBytes(6).toString('hex')}`;
    const me = await fetch(`${api1.url}/api/auth/me`, {
      headers: { authorization: `Bearer ${login.body.token}`, 'x-request-id': requestId },
    });
    expect(me.status).toBe(200);
    expect(me.headers.get('x-request-id')).toBe(requestId);
    const logLine = () => api1.logs.find((l) => l.includes(requestId));
    while (!logLine()) await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse(logLine()!)).toMatchObject({
      reqId: requestId,
      method: 'GET',
      path: '/api/auth/me',
      status: 200,
    });
  }, 120_000);

  it('answers /readyz 503 while the drain waits for the job in flight, which commits before the stop ends', async () => {
    const schema = `s_${randomBytes(5).toString('hex')}`;
    const sql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {} });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ems-drain-'));
    await sql.unsafe(`create schema "${schema}"`);
    const locker = await sql.reserve();
    try {
      const config = loadConfig(inProcessEnv(schema, dataDir));
      const running = await startProcess(
        config,
        { api: true, runtime: true },
        createLogger('silent', 'drain'),
      );
      const url = `http://127.0.0.1:${running.port}`;
      const token = await adminToken(url);
      const [deviceId] = await createDevices(url, token, 1);

      // Every job's commit updates its shard's fence row: while this lock is held, the job waits in flight.
      await locker.unsafe(`begin; lock table "${schema}".shard_fences in share mode`);
      const posted = await client(url, token)('POST', '/api/readings', {
        readings: [{ deviceId, timestamp: Date.now() - 60_000, value: 0.25 }],
      });
      expect(posted.status).toBe(202);
      for (;;) {
        const locks = await sql<{ waiting: number }[]>`
          select count(*)::int as waiting from pg_locks l
          join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = ${schema} and c.relname = 'shard_fences' and not l.granted`;
        if (locks[0]!.waiting > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }

      const stopped = running.stop(); // what SIGTERM calls
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'draining' });
      await locker.unsafe('commit');
      await stopped;

      const [hour] = await sql.unsafe<{ n: number; kwh: number }[]>(
        `select sum(readings)::int as n, sum(kwh)::float8 as kwh from "${schema}".hourly where device_id = $1`,
        [deviceId!],
      );
      expect(hour).toEqual({ n: 1, kwh: 0.25 });
    } finally {
      await locker.unsafe('rollback').catch(() => {});
      locker.release();
      await sql.unsafe(`drop schema if exists "${schema}" cascade`);
      await sql.end();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
