/**
 * `fleet:summary` over a real Socket.IO server: an admin's socket gets the
 * summary when the fleet changes (a reading arrives), a client's socket never
 * does, and nothing is sent while it stays the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSummary } from '../contract.ts';
import {
  type ApiNode,
  closeAllSockets,
  connect,
  nextEvent,
  recorder,
  startApiNode,
} from '../realtime/testing.ts';
import { type TestApp, testApp } from '../testing.ts';
import { adminSocketsOf, FleetLive } from './live.ts';
import { fleetSummary } from './repo.ts';

let t: TestApp;
let node: ApiNode;
let live: FleetLive;
beforeAll(async () => {
  t = await testApp({ runtime: true });
  node = await startApiNode(t.deps);
  live = new FleetLive({
    admins: adminSocketsOf(node.realtime.io),
    summary: () => fleetSummary(t.db.sql),
    intervalMs: 50,
  }).start();
});
afterAll(async () => {
  live.stop();
  closeAllSockets();
  await node.close();
  await t.close();
});

/** A minute ago, or the start of the hour when the hour is younger than that. */
function inOpenHour(now = Date.now()): number {
  return Math.max(now - 60_000, now - (now % 3_600_000));
}

describe('fleet:summary', () => {
  it('reaches admins, not clients, when the fleet changes', async () => {
    const client = await t.createClient();
    const device = await t.createDevice({ ownerId: client.id, maxHourlyKwh: 50 });
    const adminSocket = await connect(node.url, { token: t.adminToken });
    // Listening from the admin's connect on: the first summary can come while the client connects.
    const firstSent = nextEvent<FleetSummary>(adminSocket, 'fleet:summary');
    const clientSocket = await connect(node.url, { token: client.token });
    const clientSeen = recorder(clientSocket);

    const first = await firstSent;
    expect(first.reporting).toBe(0);
    const seen = recorder(adminSocket);
    const reported = nextEvent<FleetSummary>(adminSocket, 'fleet:summary', (s) => s.reporting === 1);
    const res = await t.request('POST', '/api/readings', {
      body: {
        readings: [
          // In the open hour (liveKwh counts only that hour), also in the first minute of an hour.
          { deviceId: device.id, timestamp: new Date(inOpenHour()).toISOString(), value: 0.5 },
        ],
      },
    });
    expect(res.status).toBe(202);
    const after = await reported;
    expect(after.devices).toBe(first.devices);
    expect(after.liveKwh).toBeGreaterThanOrEqual(0.5);
    // Unchanged since: two more rounds send nothing.
    const count = seen.filter((e) => e.event === 'fleet:summary').length;
    await live.tick();
    await live.tick();
    expect(seen.filter((e) => e.event === 'fleet:summary').length).toBe(count);
    expect(clientSeen.some((e) => e.event === 'fleet:summary')).toBe(false);
  });
});
