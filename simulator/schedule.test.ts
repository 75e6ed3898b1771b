import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMeterCsv } from './csv.ts';
import { parseInstant } from './durations.ts';
import { defaultOffsetStep, makePacing, replayRegister } from './schedule.ts';

const sensor = (() => {
  const csv = parseMeterCsv(readFileSync(new URL('../../shared/data/sensor.csv', import.meta.url), 'utf8'));
  if (csv.format !== 'register') throw new Error('sensor.csv should be a register file');
  return csv.values;
})();
const lines = readFileSync(new URL('../../shared/data/sensor.csv', import.meta.url), 'utf8')
  .trim()
  .split('\n');

describe('replaying a register CSV', () => {
  it('the first 145 lines from 2026-03-10T00:00+02:00 every 10m: exact 10-minute steps, exact values', () => {
    const start = parseInstant('2026-03-10T00:00:00+02:00');
    const readings = [
      ...replayRegister(sensor, {
        deviceIds: ['m'],
        startMs: start,
        intervalMs: 600_000,
        count: 145,
        offsetStep: 0,
      }),
    ];
    expect(readings).toHaveLength(145);
    readings.forEach((reading, i) => {
      expect(reading.deviceId).toBe('m');
      expect(reading.at).toBe(start + i * 600_000);
      expect(String(reading.value)).toBe(lines[i]);
    });
    expect(new Date(readings[0]!.at).toISOString()).toBe('2026-03-09T22:00:00.000Z');
    expect(new Date(readings[144]!.at).toISOString()).toBe('2026-03-10T22:00:00.000Z');
  });

  it('starts device k at line k*offsetStep mod length', () => {
    const readings = [
      ...replayRegister(sensor, {
        deviceIds: ['a', 'b', 'c'],
        startMs: 0,
        intervalMs: 1000,
        count: 2,
        offsetStep: 1500,
      }),
    ];
    expect(readings.map((r) => [r.deviceId, r.at, r.value])).toEqual([
      ['a', 0, sensor[0]],
      ['b', 0, sensor[1500]],
      ['c', 0, sensor[3000]],
      ['a', 1000, sensor[1]],
      ['b', 1000, sensor[1501]],
      ['c', 1000, sensor[3001]],
    ]);
    expect(defaultOffsetStep(3999, 1)).toBe(3999);
    expect(defaultOffsetStep(3999, 4)).toBe(999);
  });

  it('keeps the register counting when the file starts over (no fake meter reset)', () => {
    const values = [10, 12, 15];
    const readings = [
      ...replayRegister(values, { deviceIds: ['a'], startMs: 0, intervalMs: 1, count: 7, offsetStep: 0 }),
    ];
    expect(readings.map((r) => r.value)).toEqual([10, 12, 15, 15, 17, 20, 20]);
  });
});

describe('pacing', () => {
  it('speed 60 sends one simulated hour per real minute', () => {
    const pacing = makePacing({ mode: 'speed', speed: 60, simStartMs: 1_000_000, realStartMs: 5_000 });
    expect(pacing(1_000_000)).toBe(5_000);
    expect(pacing(1_000_000 + 3_600_000)).toBe(5_000 + 60_000);
  });

  it('max sends everything at once; backfill is immediate, then follows the wall clock', () => {
    expect(makePacing({ mode: 'max' })(Number.MAX_SAFE_INTEGER)).toBe(0);
    const backfill = makePacing({ mode: 'backfill', backfillEndMs: 10_000 });
    expect(backfill(9_999)).toBe(0);
    expect(backfill(10_000)).toBe(10_000);
  });
});
