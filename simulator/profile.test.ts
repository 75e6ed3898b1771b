import { describe, expect, it } from 'vitest';
import { localClock } from './local-clock.ts';
import { GeneratedMeter, LoadProfile, meanPowerKw, PROFILE, UNITS_PER_KWH } from './profile.ts';
import { generateProfile } from './schedule.ts';

const HOUR = 3_600_000;
const MONDAY = Date.parse('2026-03-09T00:00:00Z');
const TEN_MIN = 600_000;

/** Four weeks of 10-minute interval energies from one seeded profile. */
function series(seed: number, options: Partial<ConstructorParameters<typeof LoadProfile>[0]> = {}) {
  const profile = new LoadProfile({ seed, intervalMs: TEN_MIN, ...options });
  const out: { at: number; kwh: number; spike: boolean }[] = [];
  for (let at = MONDAY + TEN_MIN; at <= MONDAY + 28 * 24 * HOUR; at += TEN_MIN) {
    const { units, spike } = profile.next(at);
    out.push({ at, kwh: units / UNITS_PER_KWH, spike });
  }
  return out;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
/** Mean energy of intervals whose midpoint lies in [from, to) local hours. */
function meanIn(data: ReturnType<typeof series>, from: number, to: number, weekend: boolean) {
  return mean(
    data
      .filter(({ at }) => {
        const clock = localClock(at - TEN_MIN / 2, 'UTC');
        return clock.weekend === weekend && clock.hour >= from && clock.hour < to;
      })
      .map(({ kwh }) => kwh),
  );
}

describe('generated load profile', () => {
  it('is deterministic: the same seed gives the identical series', () => {
    expect(series(7)).toEqual(series(7));
  });

  it('different seeds give different series', () => {
    const a = series(7).map((s) => s.kwh);
    const b = series(8).map((s) => s.kwh);
    expect(a).not.toEqual(b);
    expect(a.filter((kwh, i) => kwh !== b[i]).length).toBeGreaterThan(a.length * 0.9);
  });

  it('nights are lower than the morning and the evening peaks', () => {
    const data = series(3);
    const night = meanIn(data, 1, 5, false);
    const morning = meanIn(data, 7, 8, false);
    const evening = meanIn(data, 18.5, 19.5, false);
    expect(night).toBeLessThan(morning);
    expect(night).toBeLessThan(evening);
    expect(morning).toBeLessThan(evening);
  });

  it('weekends have a later, softer morning and a busier day than weekdays', () => {
    const data = series(3);
    expect(meanIn(data, 7, 8, true)).toBeLessThan(meanIn(data, 7, 8, false) * 0.8);
    expect(meanIn(data, 11, 15, true)).toBeGreaterThan(meanIn(data, 11, 15, false) * 1.2);
  });

  it('follows the documented mean power (noise averages out)', () => {
    const data = series(5, { scale: 1, spikeRate: 0 });
    const evening = meanIn(data, 18.5, 19.5, false) * 6; // kWh per 10 min → kW
    expect(evening).toBeCloseTo(meanPowerKw({ hour: 19, weekend: false }), 0);
    expect(meanPowerKw({ hour: 3, weekend: false })).toBeCloseTo(PROFILE.baseKw, 1);
  });

  it('spikes occur at the documented rate, roughly', () => {
    const data = series(11);
    const rate = data.filter((s) => s.spike).length / data.length;
    expect(rate).toBeGreaterThan(PROFILE.spikeRate * 0.7);
    expect(rate).toBeLessThan(PROFILE.spikeRate * 1.3);
    const spikeMean = mean(data.filter((s) => s.spike).map((s) => s.kwh));
    const otherMean = mean(data.filter((s) => !s.spike).map((s) => s.kwh));
    expect(spikeMean).toBeGreaterThan(otherMean + (PROFILE.spikeKw / 6) * 0.8);
    expect(series(11, { spikeRate: 0 }).some((s) => s.spike)).toBe(false);
  });

  it('follows the local clock of its time zone', () => {
    // Tokyo is UTC+9: its evening peak (19:00) is 10:00 UTC.
    const tokyo = series(3, { timeZone: 'Asia/Tokyo', scale: 1, spikeRate: 0 });
    const at10utc = mean(
      tokyo.filter(({ at }) => new Date(at - TEN_MIN / 2).getUTCHours() === 10).map((s) => s.kwh),
    );
    const at19utc = mean(
      tokyo.filter(({ at }) => new Date(at - TEN_MIN / 2).getUTCHours() === 19).map((s) => s.kwh),
    );
    expect(at10utc).toBeGreaterThan(at19utc * 2);
  });
});

describe('meters of a generated profile', () => {
  it('interval meters report the interval energy; cumulative meters its running sum, never decreasing', () => {
    const ids = ['dev-a'];
    const base = { deviceIds: ids, startMs: MONDAY, intervalMs: TEN_MIN, count: 2000, seed: 9 };
    const interval = [...generateProfile({ ...base, meterKind: 'interval' })].map((r) => r.value);
    const cumulative = [...generateProfile({ ...base, meterKind: 'cumulative' })].map((r) => r.value);
    expect(interval.every((v) => v >= 0)).toBe(true);
    let sum = 0;
    for (let i = 0; i < interval.length; i++) {
      sum += interval[i]!;
      expect(cumulative[i]).toBeCloseTo(sum, 6);
      if (i > 0) expect(cumulative[i]!).toBeGreaterThanOrEqual(cumulative[i - 1]!);
    }
  });

  it('keeps readings at 0.1 Wh resolution so registers sum exactly', () => {
    const meter = new GeneratedMeter(new LoadProfile({ seed: 1, intervalMs: 30_000 }), 'cumulative', 100);
    for (let i = 1; i <= 500; i++) {
      const { value } = meter.read(MONDAY + i * 30_000);
      expect(Number(value.toFixed(4))).toBe(value);
    }
  });

  it('gives each device its own seed, so devices do not move in lockstep', () => {
    const readings = [
      ...generateProfile({
        deviceIds: ['a', 'b'],
        startMs: MONDAY,
        intervalMs: TEN_MIN,
        count: 50,
        seed: 1,
        meterKind: 'interval',
      }),
    ];
    const a = readings.filter((r) => r.deviceId === 'a').map((r) => r.value);
    const b = readings.filter((r) => r.deviceId === 'b').map((r) => r.value);
    expect(a).not.toEqual(b);
  });
});
