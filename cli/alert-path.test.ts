/**
 * Invariant 3 end to end, across processes: two `ems api` nodes and one
 * `ems runtime` node over the real Postgres and Redis. Readings over a
 * device's hourly limit are posted to api node 1; the runtime node stores one
 * `exceeded` alert and pushes it through Redis, so the owner (whose socket is
 * on api node 2) and an administrator (on api node 1) each receive it exactly
 * once, while another client (on api node 1) receives neither the alert nor
 * the device's `live` totals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../api/contract.ts';
import { type ClientSocket, closeAllSockets, connect, nextEvent, recorder } from '../api/realtime/testing.ts';
import { adminToken, type Cluster, client, startCluster } from './testing/cluster.ts';

const HOUR = 3_600_000;
// A :30 zone, so the pushed hourStart proves the runtime used the device's local hour.
const ZONE = 'Asia/Kolkata';
const ZONE_OFFSET = 5.5 * HOUR;

interface Live {
  deviceId: string;
  hourStart: string;
  kwh: number;
}

let cluster: Cluster | undefined;
afterEach(async () => {
  closeAllSockets();
  await cluster?.close();
  cluster = undefined;
});

async function createClient(url: string, token: string, username: string) {
  const call = client(url, token);
  const password = `${username}-password`;
  const created = await call<{ id: string }>('POST', '/api/users', {
    username,
    password,
    name: username,
    role: 'client',
  });
  expect(created.status).toBe(201);
  const login = await client(url)<{ token: string }>('POST', '/api/auth/login', { username, password });
  expect(login.status).toBe(200);
  return { id: created.body.id, token: login.body.token };
}

/** Local hour start (UTC ms) of `ts` in ZONE, which has no DST. */
const localHourStart = (ts: number) => Math.floor((ts + ZONE_OFFSET) / HOUR) * HOUR - ZONE_OFFSET;

/** Waits until "now" is at least 5 s into the local hour, so readings a few seconds old share it. */
async function nowInsideHour(): Promise<number> {
  for (;;) {
    const now = Date.now();
    const into = now - localHourStart(now);
    if (into >= 5000) return now;
    await new Promise((r) => setTimeout(r, 5000 - into + 50));
  }
}

const events = (seen: Array<{ event: string; payload: unknown }>, name: string) =>
  seen.filter((e) => e.event === name).map((e) => e.payload);

const liveWithKwh = (socket: ClientSocket, deviceId: string, kwh: number) =>
  nextEvent<Live>(socket, 'live', (l) => l.deviceId === deviceId && Math.abs(l.kwh - kwh) < 1e-9);

describe('an alert across processes: POST on api node 1, runtime node, sockets on both api nodes', () => {
  it('reaches the owner and the admin exactly once, and nobody else; live totals likewise', async () => {
    cluster = await startCluster({ shards: 16 });
    await cluster.start('runtime');
    const api1 = await cluster.start('api');
    const api2 = await cluster.start('api');
    const admin = await adminToken(api1.url);
    const asAdmin = client(api1.url, admin);

    const alice = await createClient(api1.url, admin, 'alice');
    const bob = await createClient(api1.url, admin, 'bob');
    const created = await asAdmin<{ id: string; name: string }>('POST', '/api/devices', {
      name: 'Water heater',
      maxHourlyKwh: 1,
      meterKind: 'interval',
      timeZone: ZONE,
      ownerId: alice.id,
    });
    expect(created.status).toBe(201);
    const deviceId = created.body.id;

    const owner = await connect(api2.url, { token: alice.token });
    const adminSocket = await connect(api1.url, { token: admin });
    const other = await connect(api1.url, { token: bob.token });
    const seenByOwner = recorder(owner);
    const seenByAdmin = recorder(adminSocket);
    const seenByOther = recorder(other);

    const now = await nowInsideHour();
    const toOwner = nextEvent<Alert>(owner, 'alert');
    const toAdmin = nextEvent<Alert>(adminSocket, 'alert');
    const first = await asAdmin('POST', '/api/readings', {
      readings: [
        { deviceId, timestamp: now - 3000, value: 0.6 },
        { deviceId, timestamp: new Date(now - 2000).toISOString(), value: 0.7 },
      ],
    });
    expect(first.status).toBe(202);
    const pushed = await toOwner;
    expect(await toAdmin).toEqual(pushed);

    // The pushed alert is the stored one, in the docs/API.md shape.
    const stored = await client(api2.url, alice.token)<{ items: Alert[]; total: number }>(
      'GET',
      `/api/alerts?status=all&deviceId=${deviceId}`,
    );
    expect(stored.status).toBe(200);
    expect(stored.body.total).toBe(1);
    // Same instants; the push writes hourStart in the device's offset, REST may use another.
    const { createdAt, hourStart, ...rest } = stored.body.items[0]!;
    expect(pushed).toMatchObject(rest);
    expect(Date.parse(pushed.hourStart)).toBe(Date.parse(hourStart));
    expect(Object.keys(pushed).sort()).toEqual(Object.keys(stored.body.items[0]!).sort());
    expect(Number.isNaN(Date.parse(pushed.createdAt))).toBe(false);
    expect(pushed).toMatchObject({
      deviceId,
      deviceName: 'Water heater',
      ownerId: alice.id,
      kind: 'exceeded',
      kwh: 1.3,
      maxHourlyKwh: 1,
      late: false,
      acknowledgedAt: null,
    });
    expect(pushed.hourStart.endsWith('+05:30')).toBe(true);
    expect(Date.parse(pushed.hourStart)).toBe(localHourStart(now));

    // More over the same hour, on the other api node: no second alert for this device-hour.
    const ownerLive = liveWithKwh(owner, deviceId, 1.8);
    const adminLive = liveWithKwh(adminSocket, deviceId, 1.8);
    const second = await client(api2.url, admin)('POST', '/api/readings', {
      readings: [{ deviceId, timestamp: now - 1000, value: 0.5 }],
    });
    expect(second.status).toBe(202);
    await Promise.all([ownerLive, adminLive]);
    // A live total can be flushed before the same job's alerts are published; give a
    // stray second alert time to arrive before counting.
    await new Promise((r) => setTimeout(r, 1500));

    expect(events(seenByOwner, 'alert')).toEqual([pushed]);
    expect(events(seenByAdmin, 'alert')).toEqual([pushed]);
    expect(events(seenByOther, 'alert')).toEqual([]);
    expect(events(seenByOther, 'live')).toEqual([]);
    expect(seenByOther).toEqual([]);
    for (const seen of [seenByOwner, seenByAdmin]) {
      const live = events(seen, 'live') as Live[];
      expect(live.length).toBeGreaterThan(0);
      for (const l of live) {
        expect(l.deviceId).toBe(deviceId);
        expect(Date.parse(l.hourStart)).toBe(localHourStart(now));
      }
    }
    const [count] = await cluster.sql<{ n: number }[]>`select count(*)::int as n from alerts`;
    expect(count?.n).toBe(1);
  }, 120_000);
});
