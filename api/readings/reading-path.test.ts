/**
 * The reading path end to end in one process: POST /api/readings → shard
 * queue → runtime node → device actor → Postgres, checked through the
 * consumption and alerts endpoints (invariants 1, 2, 3 and 6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundKwh } from '../../actors/meter.ts';
import { FencedError } from '../../actors/store.ts';
import { expectedHourly, sensorValues, shuffled } from '../../actors/testing.ts';
import { shardOf } from '../../runtime/placement.ts';
import { type TestApp, testApp } from '../testing.ts';

const first144 = sensorValues(144);
// Local midnight of 2026-03-10 in Bucharest (UTC+2 in winter).
const MIDNIGHT = Date.parse('2026-03-10T00:00:00+02:00');
const STEP = 10 * 60_000;

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ runtime: true });
});
afterAll(() => t.close());

async function post(readings: unknown[], token?: string) {
  return t.request('POST', '/api/readings', { body: { readings }, ...(token ? { token } : {}) });
}

async function postAll(
  readings: Array<{ deviceId: string; timestamp: number | string; value: number }>,
  batch = 50,
) {
  for (let i = 0; i < readings.length; i += batch) {
    const res = await post(readings.slice(i, i + batch));
    expect(res.status).toBe(202);
  }
  await t.settle();
}

async function day(deviceId: string, date = '2026-03-10') {
  const res = await t.request('GET', `/api/devices/${deviceId}/consumption?date=${date}`);
  expect(res.status).toBe(200);
  return (await res.json()) as {
    totalKwh: number;
    hours: Array<{ start: string; kwh: number; readings: number }>;
  };
}

async function alerts(deviceId: string) {
  const res = await t.request('GET', `/api/alerts?status=all&deviceId=${deviceId}&limit=500`);
  return ((await res.json()) as { items: Array<{ kind: string; hourStart: string; late: boolean }> }).items;
}

const sensorReadings = (deviceId: string, series = first144) =>
  series.map((value, i) => ({ deviceId, timestamp: MIDNIGHT + i * STEP, value }));

describe('replaying sensor.csv as a cumulative meter', () => {
  const expected = expectedHourly(first144);
  const limit = [...expected].sort((a, b) => a - b)[12]!; // about half the hours go over

  it('gives hourly totals equal to the register differences, and one exceeded alert per hour over', async () => {
    const device = await t.createDevice({
      meterKind: 'cumulative',
      timeZone: 'Europe/Bucharest',
      maxHourlyKwh: limit,
    });
    await postAll(sensorReadings(device.id));
    const got = await day(device.id);
    expect(got.hours).toHaveLength(24);
    expect(got.hours.map((h) => h.kwh)).toEqual(expected);
    expect(got.hours[0]!.start).toBe('2026-03-10T00:00:00+02:00');
    expect(got.totalKwh).toBe(roundKwh(first144[143]! - first144[0]!));
    const over = expected.filter((kwh) => kwh > limit).length;
    const list = await alerts(device.id);
    expect(list.filter((a) => a.kind === 'exceeded')).toHaveLength(over);
    expect(new Set(list.map((a) => a.hourStart)).size).toBe(list.length);
    expect(list.every((a) => a.late)).toBe(true); // March is in the past: every alert is late
    expect(list.every((a) => a.hourStart.endsWith('+02:00'))).toBe(true); // in the device's zone
  });

  it('counts duplicates once: the whole file posted twice, and again in shuffled batches', async () => {
    const device = await t.createDevice({
      meterKind: 'cumulative',
      timeZone: 'Europe/Bucharest',
      maxHourlyKwh: limit,
    });
    const readings = sensorReadings(device.id);
    await postAll(readings);
    await postAll(readings, 37);
    await postAll(shuffled(readings, 7), 20);
    expect((await day(device.id)).hours.map((h) => h.kwh)).toEqual(expected);
    const over = expected.filter((kwh) => kwh > limit).length;
    expect((await alerts(device.id)).filter((a) => a.kind === 'exceeded')).toHaveLength(over);
  });

  it('gives the same totals when readings arrive in random order (late readings split intervals)', async () => {
    const device = await t.createDevice({
      meterKind: 'cumulative',
      timeZone: 'Europe/Bucharest',
      maxHourlyKwh: limit,
    });
    await postAll(shuffled(sensorReadings(device.id), 99), 10);
    const got = await day(device.id);
    expect(got.hours.map((h) => h.kwh)).toEqual(expected);
    expect(got.hours.reduce((n, h) => n + h.readings, 0)).toBe(144);
    // Every hour over the limit has exactly one alert. (Out of order, a register
    // difference can first land in a later hour than it belongs to, so an alert
    // may also be raised for an hour a later reading corrects — documented.)
    const list = (await alerts(device.id)).filter((a) => a.kind === 'exceeded');
    const alerted = new Set(list.map((a) => Date.parse(a.hourStart)));
    expect(alerted.size).toBe(list.length);
    got.hours.forEach((h) => {
      if (h.kwh > limit) expect(alerted.has(Date.parse(h.start)), h.start).toBe(true);
    });
  });
});

describe('meters and hours', () => {
  it('treats a register drop as a reset that adds the new value', async () => {
    const device = await t.createDevice({ meterKind: 'cumulative', timeZone: 'UTC', maxHourlyKwh: 100 });
    const base = Date.parse('2026-03-10T10:00:00Z');
    await postAll(
      [10, 12.5, 1.25, 3].map((value, i) => ({ deviceId: device.id, timestamp: base + i * STEP, value })),
    );
    const got = await day(device.id);
    expect(got.hours[10]).toMatchObject({ kwh: 2.5 + 1.25 + 1.75, readings: 4 });
  });

  it('puts interval energy in the local hour of a DST day with 23 hours, and in a :45 zone', async () => {
    const bucharest = await t.createDevice({
      meterKind: 'interval',
      timeZone: 'Europe/Bucharest',
      maxHourlyKwh: 100,
    });
    // 2026-03-29: 03:00 local does not exist; 04:30+03:00 is the fourth hour of the day.
    await postAll([{ deviceId: bucharest.id, timestamp: '2026-03-29T04:30:00+03:00', value: 1.5 }]);
    const dst = await day(bucharest.id, '2026-03-29');
    expect(dst.hours).toHaveLength(23);
    expect(dst.hours[3]).toMatchObject({ start: '2026-03-29T04:00:00+03:00', kwh: 1.5 });

    const kathmandu = await t.createDevice({
      meterKind: 'interval',
      timeZone: 'Asia/Kathmandu',
      maxHourlyKwh: 100,
    });
    await postAll([{ deviceId: kathmandu.id, timestamp: '2026-03-10T10:14:59Z', value: 2 }]); // 15:59:59 local
    const k = await day(kathmandu.id);
    expect(k.hours[15]).toMatchObject({ start: '2026-03-10T15:00:00+05:45', kwh: 2 });
  });

  it('raises exceeded once per device-hour, and publishes it after storing it', async () => {
    const client = await t.createClient();
    const device = await t.createDevice({ meterKind: 'interval', maxHourlyKwh: 1, ownerId: client.id });
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const at = (m: number) => Math.min(hour + m * 60_000, Date.now());
    await postAll([0.6, 0.6, 0.6, 0.6].map((value, i) => ({ deviceId: device.id, timestamp: at(i), value })));
    const list = await alerts(device.id);
    expect(list.filter((a) => a.kind === 'exceeded')).toHaveLength(1);
    const pushed = t.events.filter(
      (e) => e.event === 'alert' && (e.payload as { deviceId: string }).deviceId === device.id,
    );
    expect(pushed.filter((e) => (e.payload as { kind: string }).kind === 'exceeded')).toHaveLength(1);
    expect(pushed[0]!.rooms.sort()).toEqual(['admins', `user:${client.id}`]);
    const live = t.events.filter(
      (e) => e.event === 'live' && (e.payload as { deviceId: string }).deviceId === device.id,
    );
    expect(live.length).toBeGreaterThan(0);
    expect(live[0]!.rooms.sort()).toEqual(['admins', `user:${client.id}`]);
  });
});

/** A new interval meter, its shard, and the epoch the test node holds that shard at. */
async function intervalDeviceOnItsShard() {
  const device = await t.createDevice({ meterKind: 'interval', maxHourlyKwh: 100 });
  const shard = shardOf(device.id, 8);
  const [fence] = await t.db.sql<{ epoch: number }[]>`select epoch from shard_fences where shard = ${shard}`;
  return { device, shard, epoch: fence!.epoch };
}

describe('the processor', () => {
  it('counts a redelivered job once', async () => {
    const { device, shard, epoch } = await intervalDeviceOnItsShard();
    const payload = { readings: [[device.id, MIDNIGHT, 1.25] as [string, number, number]] };
    const first = await t.processor!.processPayload(shard, payload, epoch);
    const again = await t.processor!.processPayload(shard, payload, epoch);
    await t.processor!.system.passivateAll();
    const cold = await t.processor!.processPayload(shard, payload, epoch); // from persisted state
    expect([first.applied, again.applied, cold.applied]).toEqual([1, 0, 0]);
    expect((await day(device.id, '2026-03-09')).totalKwh).toBe(1.25); // 22:00 UTC the day before
  });

  it('rejects a write from a node whose lease epoch was fenced off, storing nothing', async () => {
    const { device, shard, epoch } = await intervalDeviceOnItsShard();
    const payload = { readings: [[device.id, MIDNIGHT + STEP, 3] as [string, number, number]] };
    await expect(t.processor!.processPayload(shard, payload, epoch - 1)).rejects.toBeInstanceOf(FencedError);
    expect((await day(device.id, '2026-03-09')).totalKwh).toBe(0);
  });
});
