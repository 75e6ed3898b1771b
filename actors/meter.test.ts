// Meter arithmetic on numbers and on the real sensor.csv register: baselines, resets,
// late readings, and hourly totals that equal the register differences exactly.
import { describe, expect, it } from 'vitest';
import { dayStart, hourStartOf } from '../core/time.ts';
import { cumulativeEnergy, intervalEnergy, roundKwh } from './meter.ts';
import { sensorValues } from './testing.ts';

const TEN_MINUTES = 10 * 60_000;

describe('intervalEnergy', () => {
  it('is the register difference while the register grows', () => {
    expect(intervalEnergy(10, 12.5)).toBe(2.5);
    expect(intervalEnergy(7, 7)).toBe(0);
  });

  it('counts a drop as a reset: the energy is the new register value, never negative', () => {
    expect(intervalEnergy(47973.02, 1.5)).toBe(1.5);
    expect(intervalEnergy(5, 0)).toBe(0);
    expect(intervalEnergy(5, 4.999)).toBe(4.999);
  });
});

describe('cumulativeEnergy', () => {
  it('makes the first reading of a meter the baseline, worth 0 kWh whatever its value', () => {
    expect(cumulativeEnergy(null, 0)).toBe(0);
    expect(cumulativeEnergy(null, 12_345.6)).toBe(0);
  });

  it('is intervalEnergy after the baseline', () => {
    expect(cumulativeEnergy(3, 4.5)).toBe(1.5);
    expect(cumulativeEnergy(9, 2)).toBe(2);
  });
});

describe('roundKwh', () => {
  it('rounds to 1e-9 kWh, removing binary noise', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(roundKwh(0.1 + 0.2)).toBe(0.3);
    expect(roundKwh(-0.1 - 0.2)).toBe(-0.3);
    expect(roundKwh(1.23456789049)).toBe(1.23456789);
    expect(roundKwh(1.2345678906)).toBe(1.234567891);
    expect(roundKwh(7.55216266 - 3.64170771)).toBe(3.91045495);
  });

  it('rounds negative amounts (corrections) like positive ones', () => {
    for (const x of [1.5e-9, 0.1 + 0.2, 3.91045495000001, 12_345.678901234, 5e6 / 3]) {
      expect(roundKwh(-x)).toBe(-roundKwh(x));
    }
  });

  it('never returns -0 and passes non-finite values through', () => {
    expect(Object.is(roundKwh(-1e-12), 0)).toBe(true);
    expect(Object.is(roundKwh(-0), 0)).toBe(true);
    expect(roundKwh(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(roundKwh(Number.NaN)).toBeNaN();
  });

  it('stays exact for large registers, beyond the fast path', () => {
    expect(roundKwh(2_000_000.25)).toBe(2_000_000.25);
    expect(roundKwh(123_456_789.5 + 1e-12)).toBe(123_456_789.5);
    expect(roundKwh(roundKwh(987_654.123456789))).toBe(roundKwh(987_654.123456789));
  });
});

describe('hourly totals from the sensor.csv register', () => {
  const values = sensorValues(144); // one day at one reading every 10 minutes

  /** Sums each reading's energy into the local hour of its timestamp, as the actor does. */
  function hourlyTotals(
    start: number,
    zone: string,
  ): Map<number, { kwh: number; first: number; last: number }> {
    const hours = new Map<number, { kwh: number; first: number; last: number }>();
    let previous: number | null = null;
    values.forEach((value, i) => {
      const hour = hourStartOf(start + i * TEN_MINUTES, zone);
      let bucket = hours.get(hour);
      if (bucket === undefined) {
        // The hour's opening register is the last one before it (or the baseline itself).
        bucket = { kwh: 0, first: previous ?? value, last: value };
        hours.set(hour, bucket);
      }
      bucket.kwh += cumulativeEnergy(previous, value);
      bucket.last = value;
      previous = value;
    });
    return hours;
  }

  it.each([
    ['UTC', '2026-06-01'],
    ['Asia/Kathmandu', '2026-06-01'],
    ['Europe/Bucharest', '2026-10-25'], // the 25-hour day: 144 readings span 24 of its hours
  ])('in %s on %s each hour equals round(last − first) exactly', (zone, date) => {
    const hours = hourlyTotals(dayStart(date, zone), zone);
    expect(hours.size).toBe(24);
    for (const { kwh, first, last } of hours.values()) {
      expect(roundKwh(kwh)).toBe(roundKwh(last - first));
    }
    const day = [...hours.values()].reduce((sum, h) => sum + h.kwh, 0);
    expect(roundKwh(day)).toBe(roundKwh(values.at(-1)! - values[0]!));
  });

  it('the register in the file only grows, so no hour of that day saw a reset', () => {
    for (const [i, v] of values.slice(1).entries()) expect(v).toBeGreaterThanOrEqual(values[i]!);
  });
});
