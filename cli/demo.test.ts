/**
 * `ems start --demo` as a newcomer meets it: the demo devices get 35 days of
 * history through the real ingest path (HTTP → shard queues → actors), so the
 * fleet summary, the alerts and the cost have something to show; one meter is
 * silent; the live simulator keeps the others going; `ems demo --remove`
 * deletes exactly the tagged demo data.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetSummary } from '../api/fleet/repo.ts';
import { silentLog, type TestApp, testApp } from '../api/testing.ts';
import { removeDemo, startDemo } from './demo.ts';

let t: TestApp;
let server: Server;
let port: number;
beforeAll(async () => {
  t = await testApp({ runtime: true });
  server = createAdaptorServer({ fetch: t.app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

describe('demo', () => {
  it('backfills 35 days through the ingest path, keeps a silent meter, and removes only its own data', async () => {
    const keep = await t.createDevice({ name: 'Not demo' });
    const demo = await startDemo(t.deps, port, silentLog as never);
    // History lands through the queues; wait for the 35th day ago to be counted.
    const giveUp = Date.now() + 90_000;
    let summary = await fleetSummary(t.db.sql);
    while (Date.now() < giveUp) {
      await t.settle(60_000);
      summary = await fleetSummary(t.db.sql);
      const [count] = await t.db.sql<{ n: number }[]>`select count(*)::int as n from readings`;
      if (count!.n >= 3 * 35 * 144 && summary.silent === 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(summary.devices).toBe(5);
    expect(summary.silent).toBe(1);
    expect(summary.reporting).toBe(3);
    expect(summary.todayKwh).toBeGreaterThan(0);
    const [span] = await t.db.sql<{ days: number }[]>`
      select extract(day from max(ts) - min(ts))::int as days from readings`;
    expect(span!.days).toBeGreaterThanOrEqual(34);
    const [alerts] = await t.db.sql<
      { n: number }[]
    >`select count(*)::int as n from alerts where kind = 'exceeded'`;
    expect(alerts!.n).toBeGreaterThan(0);

    // The tariffed heat pump's week has a cost.
    const [pump] = await t.db.sql<{ id: string }[]>`select id from devices where name = 'Heat pump'`;
    const to = new Date().toISOString();
    const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const res = await t.request(
      'GET',
      `/api/devices/${pump!.id}/consumption?from=${from}&to=${to}&interval=day`,
    );
    const week = await res.json();
    expect(week.currency).toBe('EUR');
    expect(week.totalCost).toBeGreaterThan(0);

    await demo.stop();
    expect(await removeDemo(t.db.sql)).toEqual({ devices: 4, users: 1 });
    const left = await t.db.sql<{ id: string }[]>`select id from devices`;
    expect(left.map((d) => d.id)).toEqual([keep.id]);
  }, 120_000);
});
