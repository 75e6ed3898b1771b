/**
 * Cost on consumption views (docs/API.md, Consumption → cost): a two-period
 * tariff on the 23-hour spring DST day, each hour priced by the period in force
 * at its local start, the total rounded once from the exact sum; the tariff
 * applies in reading order (readings accepted before the PATCH keep their
 * price); and the 400s of bad tariffs.
 */
import { describe, expect, it } from 'vitest';
import { dayHours } from '../../core/time.ts';
import { useTestApp } from '../testing-hooks.ts';

const t = useTestApp({ runtime: true });

const TARIFF = {
  currency: 'EUR',
  periods: [
    { from: '00:00', pricePerKwh: 0.1 },
    { from: '07:00', pricePerKwh: 0.3 },
  ],
};

interface View {
  currency: string | null;
  totalCost: number | null;
  totalKwh: number;
  hours: Array<{ start: string; kwh: number; cost: number | null }>;
}

async function view(deviceId: string, query: string): Promise<View> {
  const res = await t.request('GET', `/api/devices/${deviceId}/consumption?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as View;
}

async function post(deviceId: string, at: number[], value: number) {
  const res = await t.request('POST', '/api/readings', {
    body: { readings: at.map((ts) => ({ deviceId, timestamp: ts, value })) },
  });
  expect(res.status).toBe(202);
  await t.settle();
}

describe('cost', () => {
  it('prices each hour of a DST day by the period at its local start, rounding the total once', async () => {
    const device = await t.createDevice({ timeZone: 'Europe/Berlin', maxHourlyKwh: 50, tariff: TARIFF });
    expect(device.tariff).toEqual(TARIFF);
    const hours = dayHours('2026-03-29', 'Europe/Berlin');
    expect(hours).toHaveLength(23);
    // 0.0333 kWh in every local hour: 6 night hours (00, 01, 03..06; 02:00 does not exist), 17 day hours.
    await post(
      device.id,
      hours.map((h) => h + 30 * 60_000),
      0.0333,
    );

    const day = await view(device.id, 'date=2026-03-29');
    expect(day.currency).toBe('EUR');
    expect(day.hours).toHaveLength(23);
    expect(day.hours[2]).toMatchObject({ start: '2026-03-29T03:00:00+02:00', cost: 0 }); // 0.00333 → 0.00
    expect(day.hours[6]).toMatchObject({ start: '2026-03-29T07:00:00+02:00', cost: 0.01 }); // 0.00999
    // Exact: 6 × 0.00333 + 17 × 0.00999 = 0.18981 → 0.19; the rounded entries would add up to 0.17.
    expect(day.totalCost).toBe(0.19);
    expect(day.hours.reduce((s, h) => s + (h.cost ?? 0), 0)).toBeCloseTo(0.17, 10);

    // The same energy by day over the week around it: one day entry, the same total.
    const range = await view(device.id, 'from=2026-03-28&to=2026-03-30&interval=day');
    expect(range.hours.map((h) => h.cost)).toEqual([0, 0.19]);
    expect(range.totalCost).toBe(0.19);
  });

  it('applies a tariff in reading order: readings accepted before the PATCH stay unpriced', async () => {
    const device = await t.createDevice({ timeZone: 'UTC', maxHourlyKwh: 50 });
    const at = Date.parse('2026-02-10T08:10:00Z');
    await post(device.id, [at], 2);
    expect(await view(device.id, 'date=2026-02-10')).toMatchObject({ currency: null, totalCost: null });

    const res = await t.request('PATCH', `/api/devices/${device.id}`, { body: { tariff: TARIFF } });
    expect(res.status).toBe(200);
    expect((await res.json()).tariff).toEqual(TARIFF);
    await post(device.id, [at + 3_600_000], 3); // 09:10 UTC, day price
    const day = await view(device.id, 'date=2026-02-10');
    expect(day.currency).toBe('EUR');
    expect(day.hours[8]!.cost).toBeNull(); // counted before the tariff: not priced after the fact
    expect(day.hours[9]!.cost).toBe(0.9);
    expect(day.hours[0]!.cost).toBe(0);
    expect(day.totalCost).toBe(0.9);

    // Removing the tariff: views carry no money, the stored prices stay for a later tariff.
    const off = await t.request('PATCH', `/api/devices/${device.id}`, { body: { tariff: null } });
    expect((await off.json()).tariff).toBeNull();
    expect(await view(device.id, 'date=2026-02-10')).toMatchObject({ currency: null, totalCost: null });
  });

  it('prices the tz= view (raw readings) with the same stored costs', async () => {
    const device = await t.createDevice({ timeZone: 'Europe/Berlin', maxHourlyKwh: 50, tariff: TARIFF });
    await post(device.id, [Date.parse('2026-02-10T06:30:00Z')], 1); // 07:30 Berlin: day price
    const utc = await view(device.id, 'date=2026-02-10&tz=UTC');
    expect(utc.hours[6]!.cost).toBe(0.3);
    expect(utc.totalCost).toBe(0.3);
  });
});

describe('tariff validation', () => {
  /** A euro tariff of `[from, pricePerKwh]` periods. */
  const euro = (...periods: Array<[string, number]>) => ({
    currency: 'EUR',
    periods: periods.map(([from, pricePerKwh]) => ({ from, pricePerKwh })),
  });
  const bad: Array<[string, unknown, string]> = [
    ['unknown currency', { ...TARIFF, currency: 'EURO' }, 'tariff.currency'],
    ['lower-case currency', { ...TARIFF, currency: 'eur' }, 'tariff.currency'],
    ['first period not at 00:00', euro(['01:00', 1]), 'tariff.periods.0.from'],
    ['unsorted periods', euro(['00:00', 1], ['18:00', 2], ['07:00', 3]), 'tariff.periods.2.from'],
    ['a period off the whole hour', euro(['00:00', 1], ['07:30', 2]), 'tariff.periods.1.from'],
    ['a negative price', euro(['00:00', -0.1]), 'tariff.periods.0.pricePerKwh'],
    ['no periods', euro(), 'tariff.periods'],
    ['hour 24', euro(['00:00', 1], ['24:00', 1]), 'tariff.periods.1.from'],
  ];
  it.each(bad)('refuses %s with 400 and the field path', async (_, tariff, path) => {
    const created = await t.request('POST', '/api/devices', {
      body: { name: 'Meter', maxHourlyKwh: 1, tariff },
    });
    expect(created.status).toBe(400);
    const body = await created.json();
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details.map((d: { path: string }) => d.path)).toContain(path);

    const device = await t.createDevice();
    const patched = await t.request('PATCH', `/api/devices/${device.id}`, { body: { tariff } });
    expect(patched.status).toBe(400);
    expect((await patched.json()).error.details.map((d: { path: string }) => d.path)).toContain(path);
  });
});
