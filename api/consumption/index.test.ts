/**
 * GET /api/devices/:id/consumption as a user sees it: every local hour of a
 * day with zeros where nothing was used (23, 24 or 25 of them), ranges by
 * hour or local day, another zone with `tz`, and the 400s for bad queries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../testing.ts';
import { useTestApp } from '../testing-hooks.ts';

const t = useTestApp({ runtime: true });

interface Entry {
  start: string;
  kwh: number;
  readings: number;
}
interface ConsumptionBody {
  deviceId: string;
  date?: string;
  from?: string;
  to?: string;
  interval?: string;
  timeZone: string;
  unit: string;
  maxHourlyKwh: number;
  totalKwh: number;
  hours: Entry[];
}

async function consumption(deviceId: string, query: string, token?: string) {
  const res = await t.request('GET', `/api/devices/${deviceId}/consumption?${query}`, token ? { token } : {});
  expect(res.status, query).toBe(200);
  return (await res.json()) as ConsumptionBody;
}

async function post(readings: Array<{ deviceId: string; timestamp: string | number; value: number }>) {
  const res = await t.request('POST', '/api/readings', { body: { readings } });
  expect(res.status).toBe(202);
  await t.settle();
}

describe('a day', () => {
  it('gives 24 hourly entries with zeros, and the readings in their local hours', async () => {
    const device = await t.createDevice({ timeZone: 'Europe/Bucharest', maxHourlyKwh: 50 });
    const empty = await consumption(device.id, 'date=2026-01-15');
    expect(empty).toMatchObject({
      deviceId: device.id,
      date: '2026-01-15',
      timeZone: 'Europe/Bucharest',
      unit: 'kWh',
      maxHourlyKwh: 50,
      totalKwh: 0,
    });
    expect(empty.hours).toHaveLength(24);
    expect(empty.hours.every((h) => h.kwh === 0 && h.readings === 0)).toBe(true);
    expect(empty.hours[0]!.start).toBe('2026-01-15T00:00:00+02:00');
    expect(empty.hours[23]!.start).toBe('2026-01-15T23:00:00+02:00');

    await post([
      { deviceId: device.id, timestamp: '2026-01-15T00:10:00+02:00', value: 0.5 },
      { deviceId: device.id, timestamp: '2026-01-15T00:20:00+02:00', value: 0.25 },
      // 21:30 UTC is 23:30 in Bucharest: the last local hour of the 15th.
      { deviceId: device.id, timestamp: '2026-01-15T21:30:00Z', value: 1 },
      // The next local day: not counted.
      { deviceId: device.id, timestamp: '2026-01-15T22:30:00Z', value: 4 },
    ]);
    const day = await consumption(device.id, 'date=2026-01-15');
    expect(day.hours[0]).toEqual({ start: '2026-01-15T00:00:00+02:00', kwh: 0.75, readings: 2, cost: null });
    expect(day.hours[23]).toEqual({ start: '2026-01-15T23:00:00+02:00', kwh: 1, readings: 1, cost: null });
    expect(day.hours.slice(1, 23).every((h) => h.kwh === 0)).toBe(true);
    expect(day.totalKwh).toBe(1.75);
    expect((await consumption(device.id, 'date=2026-01-16')).hours[0]!.kwh).toBe(4);
  });

  it('has 23 hours on the spring DST day and 25 on the autumn one (Europe/Bucharest)', async () => {
    const device = await t.createDevice({ timeZone: 'Europe/Bucharest' });
    const spring = await consumption(device.id, 'date=2026-03-29');
    expect(spring.hours).toHaveLength(23);
    expect(spring.hours.map((h) => h.start).slice(2, 4)).toEqual([
      '2026-03-29T02:00:00+02:00',
      '2026-03-29T04:00:00+03:00',
    ]);
    const autumn = await consumption(device.id, 'date=2026-10-25');
    expect(autumn.hours).toHaveLength(25);
    expect(autumn.hours.map((h) => h.start).slice(3, 5)).toEqual([
      '2026-10-25T03:00:00+03:00',
      '2026-10-25T03:00:00+02:00',
    ]);
    // Both 03:00 hours keep their own energy.
    await post([
      { deviceId: device.id, timestamp: '2026-10-25T03:30:00+03:00', value: 1 },
      { deviceId: device.id, timestamp: '2026-10-25T03:30:00+02:00', value: 2 },
    ]);
    const after = await consumption(device.id, 'date=2026-10-25');
    expect(after.hours.slice(3, 5).map((h) => h.kwh)).toEqual([1, 2]);
    expect(after.totalKwh).toBe(3);
  });

  it('shows the day in another zone with tz', async () => {
    const device = await t.createDevice({ timeZone: 'UTC' });
    await post([{ deviceId: device.id, timestamp: '2026-02-10T22:15:00Z', value: 1.5 }]);
    const utc = await consumption(device.id, 'date=2026-02-10');
    expect(utc.hours[22]!.kwh).toBe(1.5);
    // 22:15 UTC is 03:00 the next day in Kathmandu (+05:45).
    const ktm = await consumption(device.id, 'date=2026-02-11&tz=Asia/Kathmandu');
    expect(ktm.timeZone).toBe('Asia/Kathmandu');
    expect(ktm.hours).toHaveLength(24);
    expect(ktm.hours[0]!.start).toBe('2026-02-11T00:00:00+05:45');
    expect(ktm.hours[4]).toEqual({ start: '2026-02-11T04:00:00+05:45', kwh: 1.5, readings: 1, cost: null });
    expect(ktm.totalKwh).toBe(1.5);
  });
});

describe('a range', () => {
  it('sums by local day with interval=day, and by hour by default', async () => {
    const device = await t.createDevice({ timeZone: 'Europe/Bucharest' });
    await post([
      { deviceId: device.id, timestamp: '2026-03-28T12:00:00+02:00', value: 1 },
      { deviceId: device.id, timestamp: '2026-03-29T12:00:00+03:00', value: 2 },
      { deviceId: device.id, timestamp: '2026-03-30T23:30:00+03:00', value: 4 },
    ]);
    const from = encodeURIComponent('2026-03-28T00:00:00+02:00');
    const to = encodeURIComponent('2026-03-31T00:00:00+03:00');
    const days = await consumption(device.id, `from=${from}&to=${to}&interval=day`);
    expect(days.interval).toBe('day');
    expect(days.hours.map((d) => d.start)).toEqual([
      '2026-03-28T00:00:00+02:00',
      '2026-03-29T00:00:00+02:00',
      '2026-03-30T00:00:00+03:00',
    ]);
    expect(days.hours.map((d) => d.kwh)).toEqual([1, 2, 4]);
    expect(days.totalKwh).toBe(7);

    const hours = await consumption(device.id, `from=${from}&to=${to}`);
    expect(hours.interval).toBe('hour');
    expect(hours.hours).toHaveLength(24 + 23 + 24);
    expect(hours.totalKwh).toBe(7);
  });

  it('refuses to ≤ from, a bad date, a bad zone and a missing range with 400', async () => {
    const device = await t.createDevice();
    const at = encodeURIComponent('2026-03-28T00:00:00+02:00');
    const cases = [
      [`from=${at}&to=${at}`, 'to'],
      [`from=${at}&to=${encodeURIComponent('2026-03-27T00:00:00+02:00')}`, 'to'],
      ['date=2026-02-30', 'date'],
      ['date=2026-13-01', 'date'],
      ['date=15-01-2026', 'date'],
      ['date=2026-01-15&tz=Mars/Olympus', 'tz'],
      ['', 'date'],
      [`from=${at}`, 'date'],
      ['from=yesterday&to=today', 'from'],
      ['date=2026-01-15&interval=week', 'interval'],
      [
        `from=${encodeURIComponent('1990-01-01T00:00:00Z')}&to=${encodeURIComponent('2090-01-01T00:00:00Z')}`,
        'to',
      ],
      [
        `from=${encodeURIComponent('1990-01-01T00:00:00Z')}&to=${encodeURIComponent('2090-01-01T00:00:00Z')}&interval=day`,
        'to',
      ],
    ] as const;
    for (const [query, path] of cases) {
      const res = await t.request('GET', `/api/devices/${device.id}/consumption?${query}`);
      expect(res.status, query).toBe(400);
      const err = (await res.json()).error;
      expect(err.code, query).toBe('invalid_request');
      expect(
        err.details.map((d: { path: string }) => d.path),
        query,
      ).toContain(path);
    }
  });
});

describe('visibility', () => {
  it('lets a client read its own device and answers 404 for another’s', async () => {
    const alice = await t.createClient();
    const bob = await t.createClient();
    const own = await t.createDevice({ ownerId: alice.id });
    const other = await t.createDevice({ ownerId: bob.id });
    expect((await consumption(own.id, 'date=2026-01-01', alice.token)).hours).toHaveLength(24);
    const res = await t.request('GET', `/api/devices/${other.id}/consumption?date=2026-01-01`, {
      token: alice.token,
    });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});

describe('on the embedded database (PGlite) too', () => {
  let e: TestApp;
  beforeAll(async () => {
    e = await testApp({ db: 'embedded', runtime: true });
  });
  afterAll(() => e?.close());

  it('logs in, creates a client and its device, takes readings and reports the day', async () => {
    const login = await e.request('POST', '/api/auth/login', {
      token: null,
      body: { username: 'root', password: 'root-password' },
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };

    const user = await e.request('POST', '/api/users', {
      token,
      body: { username: 'pglite_client', password: 'client-password', name: 'Lite', role: 'client' },
    });
    expect(user.status).toBe(201);
    const clientId = ((await user.json()) as { id: string }).id;
    const dupe = await e.request('POST', '/api/users', {
      token,
      body: { username: 'pglite_client', password: 'client-password', name: 'Lite', role: 'client' },
    });
    expect(dupe.status).toBe(409);

    const created = await e.request('POST', '/api/devices', {
      token,
      body: { name: 'Pump', maxHourlyKwh: 1, timeZone: 'Europe/Bucharest', ownerId: clientId },
    });
    expect(created.status).toBe(201);
    const device = (await created.json()) as { id: string };

    const readings = [
      { deviceId: device.id, timestamp: '2026-03-29T01:10:00+02:00', value: 0.5 },
      { device_id: device.id, timestamp: '2026-03-29T04:10:00+03:00', measurement_value: 2 },
      { deviceId: device.id, timestamp: '2026-03-29T04:10:00+03:00', value: 2 }, // duplicate
    ];
    const posted = await e.request('POST', '/api/readings', { token, body: { readings } });
    expect(posted.status).toBe(202);
    await e.settle();

    const res = await e.request('GET', `/api/devices/${device.id}/consumption?date=2026-03-29`, { token });
    expect(res.status).toBe(200);
    const day = (await res.json()) as ConsumptionBody;
    expect(day.hours).toHaveLength(23);
    expect(day.hours[1]).toEqual({ start: '2026-03-29T01:00:00+02:00', kwh: 0.5, readings: 1, cost: null });
    expect(day.hours[3]).toEqual({ start: '2026-03-29T04:00:00+03:00', kwh: 2, readings: 1, cost: null });
    expect(day.totalKwh).toBe(2.5);

    const alerts = await e.request('GET', `/api/alerts?status=all&deviceId=${device.id}`, { token });
    const list = (await alerts.json()) as { items: Array<{ kind: string; hourStart: string }> };
    expect(list.items.filter((a) => a.kind === 'exceeded').map((a) => Date.parse(a.hourStart))).toEqual([
      Date.parse('2026-03-29T04:00:00+03:00'),
    ]);
  });
});

describe('range bounds as plain dates or with an unencoded +', () => {
  it('reads YYYY-MM-DD as local midnight and a space as the + of an offset', async () => {
    const t2 = await testApp();
    try {
      const device = await t2.createDevice({ timeZone: 'Europe/Bucharest' });
      const plain = await t2.request(
        'GET',
        `/api/devices/${device.id}/consumption?from=2026-03-09&to=2026-03-11&interval=day`,
      );
      expect(plain.status).toBe(200);
      const body = await plain.json();
      expect(body.hours.map((h: { start: string }) => h.start)).toEqual([
        '2026-03-09T00:00:00+02:00',
        '2026-03-10T00:00:00+02:00',
      ]);
      const spaced = await t2.request(
        'GET',
        `/api/devices/${device.id}/consumption?from=2026-03-09T00:00:00 02:00&to=2026-03-09T03:00:00 02:00`,
      );
      expect(spaced.status).toBe(200);
      expect((await spaced.json()).hours).toHaveLength(3);
    } finally {
      await t2.close();
    }
  });
});
