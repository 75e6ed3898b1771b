/**
 * Device edits in reading order (issue 10, invariant 7). A backlog of readings
 * is queued, the device is PATCHed (or deleted) mid-way, and only then does a
 * runtime node start: readings answered 202 before the PATCH count under the
 * old configuration, later ones under the new; a zone change re-buckets the
 * stored history so every view in the new zone equals the raw `tz=` view,
 * past alerts keep their hour and the open hour after the change is right;
 * readings of a deleted device are refused with 422 by every api node within
 * 2 s, and those already queued are dropped and counted.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { roundKwh } from '../../actors/meter.ts';
import { createApp } from '../app.ts';
import { RedisDeviceInvalidations } from '../readings/device-invalidations.ts';
import { startRuntimeNode, TEST_REDIS_URL, type TestApp, type TestRuntimeNode, testApp } from '../testing.ts';

const STEP = 10 * 60_000;
let t: TestApp;
let redis: Redis;
let bus1: RedisDeviceInvalidations;
let bus2: RedisDeviceInvalidations;
let runtime: TestRuntimeNode | undefined;

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL);
  const channel = `ems-test-${randomBytes(4).toString('hex')}:devices:deleted`;
  bus1 = new RedisDeviceInvalidations(redis, channel);
  bus2 = new RedisDeviceInvalidations(redis, channel);
  await Promise.all([bus1.ready(), bus2.ready()]);
  t = await testApp({ deps: { deviceInvalidations: bus1 } });
});
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});
afterAll(async () => {
  await t.close();
  await bus1.close();
  await bus2.close();
  await redis.quit();
});

/** Starts the runtime node that works the backlog, and waits until it is done. */
async function runBacklog() {
  runtime = await startRuntimeNode(t, 'backlog-node');
  await t.settle();
}

async function post(deviceId: string, from: number, values: number[]) {
  const readings = values.map((value, i) => ({ deviceId, timestamp: from + i * STEP, value }));
  const res = await t.request('POST', '/api/readings', { body: { readings } });
  expect(res.status).toBe(202);
}

async function patch(id: string, body: Record<string, unknown>) {
  const res = await t.request('PATCH', `/api/devices/${id}`, { body });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function alerts(deviceId: string) {
  return t.db.sql<{ kind: string; hourStart: Date; max: number }[]>`
    select kind, hour_start as "hourStart", max_hourly_kwh as max from alerts
    where device_id = ${deviceId} order by hour_start`;
}

async function view(id: string, query: string) {
  const res = await t.request('GET', `/api/devices/${id}/consumption?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as {
    totalKwh: number;
    hours: Array<{ start: string; kwh: number; readings: number }>;
  };
}

describe('configuration in reading order', () => {
  it('counts readings answered before the PATCH under the old limit, later ones under the new', async () => {
    const device = await t.createDevice({ maxHourlyKwh: 100 });
    const ten = Date.parse('2026-03-10T10:00:00Z');
    await post(device.id, ten, [1, 1, 1, 1, 1, 1]); // 6 kWh in 10:00, fine under 100
    await patch(device.id, { maxHourlyKwh: 5 });
    await post(device.id, ten + 6 * STEP, [1, 1, 1, 1, 1, 1]); // 6 kWh in 11:00, over 5
    await runBacklog();
    const raised = await alerts(device.id);
    expect(raised.map((a) => [a.kind, a.hourStart.toISOString(), a.max])).toEqual([
      ['exceeded', '2026-03-10T11:00:00.000Z', 5],
    ]);
  });
});

describe('a tariff change racing queued readings', () => {
  it('prices readings answered before the PATCH with the old tariff, later ones with the new', async () => {
    const euro = (price: number) => ({ currency: 'EUR', periods: [{ from: '00:00', pricePerKwh: price }] });
    const device = await t.createDevice({ maxHourlyKwh: 100, tariff: euro(0.1) });
    const ten = Date.parse('2026-03-10T10:00:00Z');
    await post(device.id, ten, [1, 1, 1]); // 3 kWh in 10:00, queued under 0.10 €/kWh
    await patch(device.id, { tariff: euro(0.5) });
    await post(device.id, ten + 6 * STEP, [1, 1]); // 2 kWh in 11:00, under 0.50 €/kWh
    await runBacklog();
    const res = await t.request('GET', `/api/devices/${device.id}/consumption?date=2026-03-10`);
    const day = (await res.json()) as { totalCost: number; hours: Array<{ cost: number | null }> };
    expect(day.hours[10]!.cost).toBe(0.3);
    expect(day.hours[11]!.cost).toBe(1);
    expect(day.totalCost).toBe(1.3);
  });
});

describe('a meter kind change racing queued readings', () => {
  it('keeps the kind the readings were sent under and puts the row back to it', async () => {
    const device = await t.createDevice({ meterKind: 'cumulative', maxHourlyKwh: 100 });
    const ten = Date.parse('2026-03-10T10:00:00Z');
    await post(device.id, ten, [1000, 1000.5, 1001]); // answered 202, not yet committed
    await patch(device.id, { meterKind: 'interval' }); // no stored readings yet: allowed
    await post(device.id, ten + 3 * STEP, [1001.5, 1002]);
    await runBacklog();
    const day = await view(device.id, 'date=2026-03-10');
    expect(day.totalKwh).toBe(2); // register differences, never 1001.5 + 1002 kWh
    const get = await (await t.request('GET', `/api/devices/${device.id}`)).json();
    expect(get.meterKind).toBe('cumulative');
  });
});

describe('a zone change', () => {
  it('re-buckets history so every view equals the raw view; past alerts keep their hour; the open hour after it is right', async () => {
    const device = await t.createDevice({ maxHourlyKwh: 1.5, timeZone: 'UTC' });
    const start = Date.parse('2026-03-10T00:00:00Z');
    const values = Array.from({ length: 288 }, (_, i) => roundKwh(0.05 + (i % 7) * 0.031));
    values[31] = 2; // 05:10Z: over the limit in UTC hour 05:00
    values[145] = 2; // 2026-03-11T00:10Z, just after the change: Kolkata hour 05:00+05:30 (23:30Z)
    await post(device.id, start, values.slice(0, 144));
    await patch(device.id, { timeZone: 'asia/kolkata' });
    await post(device.id, start + 144 * STEP, values.slice(144));
    await runBacklog();

    const sum = roundKwh(values.reduce((a, b) => a + b, 0));
    let total = 0;
    for (const date of ['2026-03-10', '2026-03-11', '2026-03-12']) {
      const stored = await view(device.id, `date=${date}`);
      const raw = await view(device.id, `date=${date}&tz=Asia/Kolkata`);
      expect(stored, date).toEqual(raw);
      total += stored.totalKwh;
    }
    expect(roundKwh(total)).toBe(sum);
    const odd = await t.db.sql`select 1 from hourly where device_id = ${device.id}
      and extract(minute from hour_start at time zone 'UTC') <> 30`;
    expect(odd).toHaveLength(0);

    const raised = (await alerts(device.id)).filter((a) => a.kind === 'exceeded');
    expect(raised.map((a) => a.hourStart.toISOString())).toEqual([
      '2026-03-10T05:00:00.000Z', // raised in UTC, keeps its hour
      '2026-03-10T23:30:00.000Z', // the first Kolkata hour after the change
    ]);
  });

  it('shows a UTC device exactly in a :30 zone with tz= (readings, not UTC hours)', async () => {
    const device = await t.createDevice({ maxHourlyKwh: 100, timeZone: 'UTC' });
    const from = Date.parse('2026-03-20T17:00:00Z');
    const values = Array.from({ length: 12 }, (_, i) => roundKwh(0.1 + i * 0.01));
    await post(device.id, from, values);
    await runBacklog();
    // The Kolkata day 2026-03-21 starts at 18:30Z: readings from 18:30Z on count.
    const kolkata = await view(device.id, 'date=2026-03-21&tz=Asia/Kolkata');
    const expected = roundKwh(values.slice(9).reduce((a, b) => a + b, 0));
    expect(kolkata.totalKwh).toBe(expected);
  });
});

describe('a deleted device', () => {
  it('is refused with 422 by every api node within 2 s, and its queued readings are dropped and counted', async () => {
    const other = createApp({ ...t.deps, deviceInvalidations: bus2 }).app;
    const postTo = (app: typeof other, deviceId: string) =>
      app.request('/api/readings', {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ readings: [{ deviceId, timestamp: Date.now() - 60_000, value: 1 }] }),
      });
    const device = await t.createDevice();
    expect((await postTo(other, device.id)).status).toBe(202); // the other node now knows it
    const del = await t.request('DELETE', `/api/devices/${device.id}`);
    expect(del.status).toBe(204);
    const deadline = Date.now() + 2000;
    let status = 0;
    // Accepted by the other node before the message reached it (allowed within 2 s): dropped as well.
    let acceptedMeanwhile = 0;
    while (Date.now() < deadline) {
      status = (await postTo(other, device.id)).status;
      if (status === 422) break;
      if (status === 202) acceptedMeanwhile++;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(422);
    expect((await postTo(t.app, device.id)).status).toBe(422);

    await runBacklog();
    expect(runtime!.processor.totals.dropped).toBe(1 + acceptedMeanwhile);
  });
});
