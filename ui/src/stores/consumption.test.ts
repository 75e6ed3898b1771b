import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Consumption } from '../../../api/contract.ts';
import { dayHours } from '../../../core/time.ts';
import { aDevice } from '../test-data.ts';
import { apiError, deferred, fakeFetch } from '../test-fetch.ts';
import { periodRange, useConsumption } from './consumption.ts';

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => vi.unstubAllGlobals());

function day(deviceId: string, date: string, timeZone: string, kwh = 0): Consumption {
  const hours = dayHours(date, timeZone).map((t) => ({
    start: new Date(t).toISOString(),
    kwh,
    readings: 0,
    cost: null,
  }));
  return {
    deviceId,
    date,
    timeZone,
    unit: 'kWh',
    maxHourlyKwh: 2,
    totalKwh: kwh * hours.length,
    currency: null,
    totalCost: null,
    hours,
  };
}

describe('periodRange', () => {
  it('covers Monday to Monday for a week and the calendar month for a month', () => {
    expect(periodRange('week', '2026-10-28')).toEqual({ first: '2026-10-26', next: '2026-11-02' });
    expect(periodRange('month', '2026-02-14')).toEqual({ first: '2026-02-01', next: '2026-03-01' });
    expect(periodRange('day', '2026-12-31')).toEqual({ first: '2026-12-31', next: '2027-01-01' });
  });
});

describe('consumption store', () => {
  it('asks for a day by date and shapes 25 bars on a fall-back day', async () => {
    const device = aDevice({ timeZone: 'Europe/Berlin' });
    const fake = fakeFetch({
      'GET /api/devices/:id/consumption': (call) => ({
        body: day(device.id, call.query.get('date') ?? '', 'Europe/Berlin', 0.5),
      }),
    });
    const store = useConsumption();
    await store.show(device, { date: '2026-10-25' });
    expect(fake.calls[0]?.query.get('date')).toBe('2026-10-25');
    expect(store.shape?.bars).toHaveLength(25);
    expect(store.shape?.totalKwh).toBe(12.5);
  });

  it('asks for a week from local midnight to local midnight, across the DST change', async () => {
    const device = aDevice({ timeZone: 'Europe/Berlin' });
    const fake = fakeFetch({
      'GET /api/devices/:id/consumption': () => ({
        body: {
          deviceId: device.id,
          timeZone: 'Europe/Berlin',
          unit: 'kWh',
          maxHourlyKwh: 2,
          totalKwh: 0,
          hours: [],
        },
      }),
    });
    const store = useConsumption();
    await store.show(device, { period: 'week', date: '2026-10-28' });
    const q = fake.calls[0]!.query;
    expect(q.get('interval')).toBe('day');
    expect(q.get('from')).toBe('2026-10-25T23:00:00.000Z'); // Mon 26 Oct 00:00 CET
    expect(q.get('to')).toBe('2026-11-01T23:00:00.000Z'); // Mon 2 Nov 00:00 CET
    await store.show(device, { period: 'week', date: '2026-10-21' });
    expect(fake.calls[1]!.query.get('from')).toBe('2026-10-18T22:00:00.000Z'); // Mon 19 Oct, still CEST
    expect(fake.calls[1]!.query.get('to')).toBe('2026-10-25T23:00:00.000Z'); // Mon 26 Oct CET: this week has 7*24+1 hours
  });

  it('also asks for the previous week or month, for the compare overlay, and never for a day', async () => {
    const device = aDevice({ timeZone: 'UTC' });
    const fake = fakeFetch({
      'GET /api/devices/:id/consumption': (call) => {
        const from = call.query.get('from') ?? '';
        const kwh = from.startsWith('2026-01-12') ? 3 : 1;
        return {
          body: {
            deviceId: device.id,
            timeZone: 'UTC',
            unit: 'kWh',
            maxHourlyKwh: 2,
            totalKwh: kwh * 7,
            currency: 'EUR',
            totalCost: kwh * 7 * 0.5,
            interval: 'day',
            hours: Array.from({ length: 7 }, (_, i) => ({
              start: new Date(Date.parse(from) + i * 86_400_000).toISOString(),
              kwh,
              readings: 1,
              cost: kwh * 0.5,
            })),
          },
        };
      },
    });
    const store = useConsumption();
    await store.show(device, { period: 'week', date: '2026-01-14' });
    expect(fake.calls.map((c) => c.query.get('from')).sort()).toEqual([
      '2026-01-05T00:00:00.000Z',
      '2026-01-12T00:00:00.000Z',
    ]);
    expect(store.shape?.previous).toEqual({ totalKwh: 7, totalCost: 3.5, diffKwh: 14, diffCost: 7 });
    expect(store.shape?.bars[0]?.previousKwh).toBe(1);
    await store.setPeriod('day');
    expect(store.previous).toBeNull();
  });

  it('steps days and months on the calendar', async () => {
    const device = aDevice({ timeZone: 'UTC' });
    const fake = fakeFetch({
      'GET /api/devices/:id/consumption': (call) => ({
        body: day(device.id, call.query.get('date') ?? '2026-01-01', 'UTC'),
      }),
    });
    const store = useConsumption();
    await store.show(device, { date: '2026-03-01' });
    await store.step(-1);
    expect(store.date).toBe('2026-02-28');
    expect(fake.last('GET /api/devices/' + device.id + '/consumption')?.query.get('date')).toBe('2026-02-28');
    await store.setPeriod('month');
    await store.step(1);
    expect(store.date).toBe('2026-03-01');
  });

  it('keeps the answer for the day the user picked last', async () => {
    const device = aDevice({ timeZone: 'UTC' });
    const slow = deferred<{ body: unknown }>();
    fakeFetch({
      'GET /api/devices/:id/consumption': (call) =>
        call.query.get('date') === '2026-05-01'
          ? slow.promise
          : { body: day(device.id, '2026-05-02', 'UTC', 1) },
    });
    const store = useConsumption();
    const first = store.show(device, { date: '2026-05-01' });
    await store.setDate('2026-05-02');
    slow.resolve({ body: day(device.id, '2026-05-01', 'UTC', 9) });
    await first;
    expect(store.data?.date).toBe('2026-05-02');
    expect(store.loading).toBe(false);
  });

  it('shows the error and no stale chart when loading fails', async () => {
    const device = aDevice();
    fakeFetch({ 'GET /api/devices/:id/consumption': () => apiError(404, 'not_found', 'Device not found') });
    const store = useConsumption();
    await store.show(device, { date: '2026-05-01' });
    expect(store.error).toBe('Device not found');
    expect(store.shape).toBeNull();
  });

  it("moves the open hour of today's chart with live totals", async () => {
    const device = aDevice({ timeZone: 'UTC' });
    fakeFetch({
      'GET /api/devices/:id/consumption': () => ({ body: day(device.id, '2026-05-02', 'UTC', 0) }),
    });
    const store = useConsumption();
    await store.show(device, { date: '2026-05-02' });
    store.applyLive({
      deviceId: device.id,
      hourStart: '2026-05-02T10:00:00.000Z',
      kwh: 3.2,
      rolling60Kwh: 3.2,
      projectedKwh: 4,
      at: '2026-05-02T10:40:00.000Z',
    });
    expect(store.shape?.bars[10]).toMatchObject({ label: '10:00', kwh: 3.2, overLimit: true });
    store.applyLive({
      deviceId: 'another-device',
      hourStart: '2026-05-02T11:00:00.000Z',
      kwh: 9,
      rolling60Kwh: 9,
      projectedKwh: 9,
      at: '2026-05-02T11:10:00.000Z',
    });
    expect(store.shape?.bars[11]?.kwh).toBe(0);
  });

  it("refetches the day quietly once live totals settle, for the hour's readings and cost", async () => {
    vi.useFakeTimers();
    try {
      const device = aDevice({ timeZone: 'UTC' });
      const stored = day(device.id, '2026-05-02', 'UTC', 0);
      const fake = fakeFetch({ 'GET /api/devices/:id/consumption': () => ({ body: stored }) });
      const store = useConsumption();
      await store.show(device, { date: '2026-05-02' });
      const live = (kwh: number) => ({
        deviceId: device.id,
        hourStart: '2026-05-02T10:00:00.000Z',
        kwh,
        rolling60Kwh: kwh,
        projectedKwh: kwh,
        at: '2026-05-02T10:40:00.000Z',
      });
      // The server now has the hour with its readings and cost.
      stored.hours[10] = { ...stored.hours[10]!, kwh: 1.3, readings: 2, cost: 0.39 };
      stored.currency = 'EUR';
      store.applyLive(live(0.7));
      await vi.advanceTimersByTimeAsync(1000);
      store.applyLive(live(1.3)); // totals still moving: no refetch yet
      await vi.advanceTimersByTimeAsync(1500);
      expect(fake.calls).toHaveLength(1);
      expect(store.loading).toBe(false);
      await vi.advanceTimersByTimeAsync(600);
      expect(fake.calls).toHaveLength(2);
      expect(store.loading).toBe(false); // quiet: the chart never shows as loading
      expect(store.shape?.bars[10]).toMatchObject({ kwh: 1.3, readings: 2, cost: 0.39 });
    } finally {
      vi.useRealTimers();
    }
  });
});
