import { describe, expect, it } from 'vitest';
import type { Consumption } from '../../../api/contract.ts';
import { dayHours, dayStart } from '../../../core/time.ts';
import { csvField, openHourOf, shapeConsumption, toCsv } from './chartData.ts';

function dayOf(date: string, timeZone: string, kwhByIndex: Record<number, number>, limit = 2): Consumption {
  const hours = dayHours(date, timeZone).map((t, i) => ({
    start: new Date(t).toISOString(),
    kwh: kwhByIndex[i] ?? 0,
    readings: kwhByIndex[i] ? 4 : 0,
    cost: null,
  }));
  return {
    deviceId: 'd',
    date,
    timeZone,
    unit: 'kWh',
    maxHourlyKwh: limit,
    totalKwh: 0,
    currency: null,
    totalCost: null,
    hours,
  };
}

describe('shapeConsumption for a day', () => {
  it('gives a spring-forward day 23 bars with 02:00 missing in Europe/Berlin', () => {
    const shape = shapeConsumption(dayOf('2026-03-29', 'Europe/Berlin', {}));
    expect(shape.bars).toHaveLength(23);
    const labels = shape.bars.map((b) => b.label);
    expect(labels.slice(0, 4)).toEqual(['00:00', '01:00', '03:00', '04:00']);
    expect(labels).not.toContain('02:00');
  });

  it('gives a fall-back day 25 bars with 02:00 twice in Europe/Berlin', () => {
    const shape = shapeConsumption(dayOf('2026-10-25', 'Europe/Berlin', {}));
    expect(shape.bars).toHaveLength(25);
    expect(shape.bars.map((b) => b.label).filter((l) => l === '02:00')).toHaveLength(2);
    expect(shape.bars.at(-1)?.label).toBe('23:00');
  });

  it('labels a US fall-back day with 01:00 twice in America/New_York', () => {
    const shape = shapeConsumption(dayOf('2026-11-01', 'America/New_York', {}));
    expect(shape.bars.map((b) => b.label).slice(0, 4)).toEqual(['00:00', '01:00', '01:00', '02:00']);
  });

  it('keeps :45 offsets exact (Asia/Kathmandu hours start at local hh:00)', () => {
    const shape = shapeConsumption(dayOf('2026-06-01', 'Asia/Kathmandu', {}));
    expect(shape.bars).toHaveLength(24);
    expect(shape.bars[0]?.start).toBe('2026-05-31T18:15:00.000Z');
    expect(shape.bars[0]?.label).toBe('00:00');
  });

  it('fills hours the server left out with zeros', () => {
    const full = dayOf('2026-07-10', 'Europe/Berlin', { 5: 1.5 });
    const sparse: Consumption = { ...full, hours: full.hours.filter((h) => h.kwh > 0) };
    const shape = shapeConsumption(sparse);
    expect(shape.bars).toHaveLength(24);
    expect(shape.bars[5]).toMatchObject({ label: '05:00', kwh: 1.5, readings: 4 });
    expect(shape.bars[6]).toMatchObject({ label: '06:00', kwh: 0, readings: 0 });
    expect(shape.totalKwh).toBe(1.5);
  });

  it('flags only the hours strictly over the limit and finds the peak', () => {
    const shape = shapeConsumption(dayOf('2026-07-10', 'UTC', { 1: 2, 2: 2.01, 9: 3.5 }, 2));
    expect(shape.bars.filter((b) => b.overLimit).map((b) => b.label)).toEqual(['02:00', '09:00']);
    expect(shape.overLimitCount).toBe(2);
    expect(shape.limitKwh).toBe(2);
    expect(shape.peak?.label).toBe('09:00');
  });
});

describe('shapeConsumption on core hour boundaries', () => {
  it('lays out a day with a 30-minute DST shift (Australia/Lord_Howe) with a half-hour bar', () => {
    const empty: Consumption = {
      deviceId: 'd',
      date: '2026-10-04',
      timeZone: 'Australia/Lord_Howe',
      unit: 'kWh',
      maxHourlyKwh: 2,
      totalKwh: 0,
      currency: null,
      totalCost: null,
      hours: [],
    };
    const shape = shapeConsumption(empty);
    expect(shape.bars).toHaveLength(24);
    expect(shape.bars.slice(0, 4).map((b) => b.label)).toEqual(['00:00', '01:00', '02:30', '03:00']);
    expect(shape.bars[3]?.start).toBe('2026-10-03T16:00:00.000Z');
    expect(shape.bars.at(-1)?.label).toBe('23:00');
  });
});

describe('openHourOf', () => {
  const day = (timeZone: string, starts: string[]): Consumption => ({
    deviceId: 'd',
    date: '2026-10-04',
    timeZone,
    unit: 'kWh',
    maxHourlyKwh: 2,
    totalKwh: 0,
    currency: null,
    totalCost: null,
    hours: starts.map((start, i) => ({ start, kwh: i + 1, readings: 1, cost: null })),
  });

  it('picks the hour that contains now, even after a half-hour one', () => {
    const data = day('Australia/Lord_Howe', ['2026-10-03T15:30:00.000Z', '2026-10-03T16:00:00.000Z']);
    expect(openHourOf(data, Date.parse('2026-10-03T15:45:00Z'))?.start).toBe('2026-10-03T15:30:00.000Z');
    expect(openHourOf(data, Date.parse('2026-10-03T16:15:00Z'))?.start).toBe('2026-10-03T16:00:00.000Z');
  });

  it('keeps :45 zones exact and says nothing when the open hour has no entry', () => {
    const data = day('Asia/Kathmandu', ['2026-06-01T04:15:00.000Z']);
    expect(openHourOf(data, Date.parse('2026-06-01T05:14:59Z'))?.start).toBe('2026-06-01T04:15:00.000Z');
    expect(openHourOf(data, Date.parse('2026-06-01T05:15:00Z'))).toBeUndefined();
  });
});

describe('shapeConsumption for a range of days', () => {
  it('labels days in zone and never flags them against the hourly limit', () => {
    const tz = 'Europe/Berlin';
    const hours = ['2026-10-24', '2026-10-25', '2026-10-26'].map((d, i) => ({
      start: new Date(dayStart(d, tz)).toISOString(),
      kwh: 30 + i,
      readings: 96,
      cost: null,
    }));
    const shape = shapeConsumption(
      {
        deviceId: 'd',
        timeZone: tz,
        unit: 'kWh',
        maxHourlyKwh: 2,
        totalKwh: 93,
        currency: null,
        totalCost: null,
        hours,
        interval: 'day',
      },
      'day',
    );
    expect(shape.bars.map((b) => b.label)).toEqual(['Sat 24', 'Sun 25', 'Mon 26']);
    expect(shape.bars.map((b) => b.localDate)).toEqual(['2026-10-24', '2026-10-25', '2026-10-26']);
    expect(shape.limitKwh).toBeNull();
    expect(shape.overLimitCount).toBe(0);
  });
});

describe('toCsv', () => {
  it('writes one row per bar with zone, limit and flag, quoting awkward names', () => {
    const shape = shapeConsumption(dayOf('2026-10-25', 'Europe/Berlin', { 2: 3 }, 2.5));
    const lines = toCsv(shape, 'Heat pump, "garage"').trimEnd().split('\n');
    expect(lines).toHaveLength(26);
    expect(lines[0]).toBe(
      'device,start,local_date,local_label,time_zone,kwh,readings,max_hourly_kwh,over_limit,cost,currency',
    );
    expect(lines[3]).toBe(
      '"Heat pump, ""garage""",2026-10-25T00:00:00.000Z,2026-10-25,02:00,Europe/Berlin,3,4,2.5,true,,',
    );
    expect(lines[4]).toContain(',02:00,Europe/Berlin,0,0,2.5,false,,');
  });

  it("carries each bar's cost and the currency when the device has a tariff", () => {
    const day = dayOf('2026-01-10', 'UTC', { 7: 2 });
    const priced: Consumption = {
      ...day,
      currency: 'EUR',
      totalCost: 0.6,
      hours: day.hours.map((h, i) => ({ ...h, cost: i === 7 ? 0.6 : 0 })),
    };
    const shape = shapeConsumption(priced);
    expect(shape.totalCost).toBe(0.6);
    const lines = toCsv(shape, 'Pump').trimEnd().split('\n');
    expect(lines[8]).toMatch(/,2,4,2,false,0\.6,EUR$/);
    expect(lines[1]).toMatch(/,0,EUR$/);
  });
});

describe('compare with the previous period', () => {
  const period = (first: string, kwh: number[], totalCost: number | null): Consumption => ({
    deviceId: 'd',
    from: `${first}T00:00:00Z`,
    interval: 'day',
    timeZone: 'UTC',
    unit: 'kWh',
    maxHourlyKwh: 2,
    totalKwh: kwh.reduce((a, b) => a + b, 0),
    currency: totalCost === null ? null : 'EUR',
    totalCost,
    hours: kwh.map((k, i) => ({
      start: new Date(Date.parse(`${first}T00:00:00Z`) + i * 86_400_000).toISOString(),
      kwh: k,
      readings: 1,
      cost: null,
    })),
  });

  it('lays the previous week over day by day, with the difference in kWh and cost', () => {
    const shape = shapeConsumption(
      period('2026-01-12', [1, 2, 3, 4, 5, 6, 7], 8.4),
      'day',
      period('2026-01-05', [2, 2, 2, 2, 2, 2, 2], 4.2),
    );
    expect(shape.bars.map((b) => b.previousKwh)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(shape.previous).toEqual({ totalKwh: 14, totalCost: 4.2, diffKwh: 14, diffCost: 4.2 });
  });

  it('has no overlay past the end of a shorter previous month, and no cost difference without tariffs', () => {
    const shape = shapeConsumption(
      period('2026-01-01', [1, 1, 1], null),
      'day',
      period('2025-12-01', [1, 1], null),
    );
    expect(shape.bars.map((b) => b.previousKwh)).toEqual([1, 1, null]);
    expect(shape.previous?.diffKwh).toBe(1);
    expect(shape.previous?.diffCost).toBeNull();
  });

  it('neutralises text cells a spreadsheet would run as a formula (= + - @), not numbers', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('+1+1')).toBe("'+1+1");
    expect(csvField('-2')).toBe("'-2");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\t=1')).toBe("'\t=1");
    expect(csvField(-2)).toBe('-2');
    expect(csvField('Heater')).toBe('Heater');
    const shape = shapeConsumption(dayOf('2026-10-25', 'UTC', { 2: 3 }, 2.5));
    expect(toCsv(shape, '=cmd|calc').split('\n')[1]).toMatch(/^'=cmd\|calc,/);
  });
});
