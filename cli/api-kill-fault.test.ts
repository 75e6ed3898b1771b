/**
 * An api node SIGKILLed with 200 sockets attached, under load, behind a load
 * balancer (faults/tcp-balancer.ts). Its sockets reconnect through the
 * balancer to the other api node; each client, on every reconnect, fetches
 * what it missed over REST as the UI does (ui/src/stores/realtime.ts →
 * alerts.catchUp: `GET /api/alerts?status=all&since=<newest createdAt it had>`),
 * so no `exceeded` alert is lost to any client: each one either was pushed or
 * was fetched after the reconnect. The usual fault-test
 * checks apply too (totals exact, one `exceeded` per device-hour over, no 500,
 * no hang; only the killed node exited).
 */
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { startTcpBalancer } from '../faults/tcp-balancer.ts';
import { closeAfterEach } from './testing/cluster.ts';
import { sleep, startRig } from './testing/fault-rig.ts';
import { expectExactTotals, expectOneExceededPerHourOver, startLoad, waitForTotals } from './testing/load.ts';

const SOCKETS = 200;

const closeAfter = closeAfterEach();

interface Client {
  socket: Socket;
  seen: Set<string>;
  /** `createdAt` of the newest alert this client has (what it asks `since` on reconnect). */
  newest: string | null;
  connects: number;
}

type SeenAlert = { id: string; kind: string; createdAt: string };

function see(client: Client, alert: SeenAlert): void {
  if (alert.kind === 'exceeded') client.seen.add(alert.id);
  if (client.newest === null || Date.parse(alert.createdAt) > Date.parse(client.newest))
    client.newest = alert.createdAt;
}

/** What a reconnecting client missed, as the dashboard asks for it (GET /api/alerts?since=). */
async function fetchMissed(url: string, token: string, since: string | null): Promise<SeenAlert[]> {
  const query = since ? `status=all&since=${encodeURIComponent(since)}` : 'status=open';
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const res = await fetch(`${url}/api/alerts?${query}&limit=500`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5000),
      });
      if (res.status === 200) return ((await res.json()) as { items: SeenAlert[] }).items;
    } catch {
      // the balancer sent us to the dead node's last moments: try again
    }
    await sleep(200);
  }
  throw new Error('could not fetch missed alerts');
}

describe('an api node SIGKILLed with sockets attached', () => {
  it('sockets reconnect to the other node and, fetching on reconnect, miss no alert', async () => {
    // Limits spread out so devices go over one after another, before, during and after the kill.
    const r = closeAfter(await startRig({ limitOf: (i) => 0.2 + i * 0.02 }));
    const lb = closeAfter(
      await startTcpBalancer([
        { host: '127.0.0.1', port: r.api1.node.port },
        { host: '127.0.0.1', port: r.api2.node.port },
      ]),
    );
    const clients: Client[] = [];
    for (let i = 0; i < SOCKETS; i++) {
      const socket = io(lb.url, {
        auth: { token: r.token },
        transports: ['websocket'],
        reconnectionDelay: 500,
        reconnectionDelayMax: 5000,
      });
      closeAfter(socket);
      const client: Client = { socket, seen: new Set(), newest: null, connects: 0 };
      socket.on('alert', (alert: SeenAlert) => see(client, alert));
      socket.on('connect', () => {
        client.connects++;
        if (client.connects > 1)
          void fetchMissed(lb.url, r.token, client.newest).then((alerts) => {
            for (const alert of alerts) see(client, alert);
          });
      });
      clients.push(client);
    }
    await Promise.all(
      clients.map((c) =>
        c.socket.connected ? null : new Promise<void>((res) => c.socket.once('connect', () => res())),
      ),
    );
    expect(lb.accepted.get(r.api1.node.port)).toBeGreaterThan(0); // some sockets sit on the node we kill

    // Recent readings (40 minutes ago onwards): alerts of hours that ended over an hour ago are not pushed.
    const l = startLoad([r.api2.node.url, r.api1.node.url], r.token, r.ids, Date.now() - 40 * 60_000);
    await sleep(3000);
    r.api1.node.signal('SIGKILL');
    const killedAt = Date.now();
    await r.api1.node.exited;
    // Every socket is connected again (those of the dead node through the balancer to the other).
    let reconnectedMs = Number.NaN;
    for (;;) {
      if (clients.every((c) => c.socket.connected)) {
        reconnectedMs = Date.now() - killedAt;
        break;
      }
      if (Date.now() - killedAt > 30_000) throw new Error('sockets did not reconnect');
      await sleep(100);
    }
    await sleep(4000);
    await l.stop();
    await waitForTotals(r.cluster, l, 40_000);
    await expectExactTotals(r.cluster, l);
    const over = await expectOneExceededPerHourOver(r.cluster);
    expect(over).toBeGreaterThan(10); // devices went over before, during and after the kill
    for (const n of [r.runtimeA, r.runtimeB, r.api2]) expect(n.node.proc.exitCode).toBe(null);
    expect(l.responses.filter((x) => x.status === -1)).toEqual([]);

    const stored = (
      await r.cluster.sql<{ id: string }[]>`select id::text from alerts where kind = 'exceeded'`
    ).map((a) => a.id);
    const duringGap = await r.cluster.sql<{ n: number }[]>`
      select count(*)::int as n from alerts where kind = 'exceeded'
      and created_at >= ${new Date(killedAt)} and created_at <= ${new Date(killedAt + reconnectedMs)}`;
    // Pushes after the last write can still be in flight: wait for them (bounded), then compare.
    let missing: string[] = [];
    for (let i = 0; i < 50; i++) {
      missing = clients.flatMap((c) => stored.filter((id) => !c.seen.has(id)));
      if (missing.length === 0) break;
      await sleep(200);
    }
    expect(missing.length, 'alerts a client neither received nor fetched').toBe(0);
    const moved = clients.filter((c) => c.connects > 1).length;
    expect(moved).toBeGreaterThan(0);
    console.info(
      `[fault] api node SIGKILL: ${JSON.stringify({ sockets: SOCKETS, reconnected: moved, reconnectedMs, alerts: stored.length, alertsDuringGap: duringGap[0]?.n ?? 0, batches: l.batches })}`,
    );
  }, 60_000);
});
