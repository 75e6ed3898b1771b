// The demo's history: 35 days per device at a fixed interval, oldest first,
// a daily rhythm, a silent meter that stops, and delivery in api-sized batches.
import { describe, expect, it } from 'vitest';
import { backfillDemo, backfillReadings } from './demo-backfill.ts';
import type { Reading } from './sink.ts';

const NOW = Date.parse('2026-11-29T12:34:56Z');
const devices = [
  { id: 'heat', meterKind: 'interval' as const, timeZone: 'Europe/Bucharest', maxHourlyKwh: 2.5 },
  { id: 'ev', meterKind: 'cumulative' as const, timeZone: 'Europe/Bucharest', maxHourlyKwh: 7 },
  {
    id: 'pump',
    meterKind: 'interval' as const,
    timeZone: 'Asia/Kolkata',
    maxHourlyKwh: 1,
    silentSinceMs: 3 * 3_600_000,
  },
];

describe('demo backfill', () => {
  it('covers 35 days per device up to now, oldest first; the silent meter stops three hours ago', () => {
    const readings = backfillReadings({ devices, now: NOW });
    const of = (id: string) => readings.filter((r) => r.deviceId === id);
    expect(of('heat')).toHaveLength(35 * 144);
    expect(of('ev')).toHaveLength(35 * 144);
    const lastHeat = Date.parse(of('heat').at(-1)!.timestamp);
    expect(lastHeat).toBeLessThanOrEqual(NOW);
    expect(NOW - lastHeat).toBeLessThan(600_000);
    expect(NOW - Date.parse(of('pump').at(-1)!.timestamp)).toBeGreaterThanOrEqual(3 * 3_600_000);
    const times = readings.map((r) => Date.parse(r.timestamp));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect(NOW - times[0]!).toBeLessThanOrEqual(35 * 86_400_000);
    // A register only grows.
    const register = of('ev').map((r) => r.value);
    expect(register.every((v, i) => i === 0 || v >= register[i - 1]!)).toBe(true);
  });

  it('draws 1.3 times the limit on top in the hours asked to be over it', () => {
    const plain = backfillReadings({ devices: [devices[0]!], now: NOW });
    const boosted = backfillReadings({ devices: [{ ...devices[0]!, overLimitHoursAgo: [5] }], now: NOW });
    const inHour = (rs: typeof plain) =>
      rs
        .filter((r) => Math.floor(NOW / 3_600_000) - Math.floor(Date.parse(r.timestamp) / 3_600_000) === 5)
        .reduce((sum, r) => sum + r.value, 0);
    // 07:00–08:00 UTC (5 clock hours before 12:34) holds 6 ten-minute readings: 1.3 × 2.5 kWh more.
    expect(inHour(boosted) - inHour(plain)).toBeCloseTo(1.3 * 2.5, 3);
    expect(inHour(boosted)).toBeGreaterThan(2.5);
    expect(boosted.length).toBe(plain.length);
  });

  it('has a daily rhythm and crosses the limit in the chosen hours, seldom otherwise', () => {
    const heat = backfillReadings({ devices: [{ ...devices[0]!, overLimitHoursAgo: [3, 30] }], now: NOW });
    const byHour = new Map<number, number>();
    for (const r of heat) {
      const hour = Math.floor(Date.parse(r.timestamp) / 3_600_000);
      byHour.set(hour, (byHour.get(hour) ?? 0) + r.value);
    }
    const over = [...byHour.values()].filter((kwh) => kwh > 2.5).length;
    expect(over).toBeGreaterThanOrEqual(2);
    expect(over).toBeLessThan(byHour.size / 20);
    // Evenings (19:00 Bucharest = 17:00 UTC in winter) use more than nights (04:00 = 02:00 UTC).
    const at = (utcHour: number) =>
      [...byHour].filter(([h]) => h % 24 === utcHour).reduce((s, [, kwh]) => s + kwh, 0);
    expect(at(17)).toBeGreaterThan(2 * at(2));
  });

  it('sends in batches of at most 5000 with progress, and the same history twice (deduplicated by the server)', async () => {
    const batches: Reading[][] = [];
    const progress: Array<[number, number]> = [];
    const sink = {
      send: async (r: readonly Reading[]) => {
        batches.push([...r]);
        return { accepted: r.length };
      },
    };
    const sent = await backfillDemo({ devices, now: NOW, sink, onProgress: (s, t) => progress.push([s, t]) });
    expect(batches.every((b) => b.length <= 5000)).toBe(true);
    expect(batches.flat()).toHaveLength(sent);
    expect(progress.at(-1)).toEqual([sent, sent]);
    expect(backfillReadings({ devices, now: NOW })).toEqual(batches.flat());
  });
});
