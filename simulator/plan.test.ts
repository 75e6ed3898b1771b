import { describe, expect, it } from 'vitest';
import { parseSimulateArgs } from './args.ts';
import { planRun } from './plan.ts';

const NOW = Date.parse('2026-03-10T12:34:56Z');
const plan = (...argv: string[]) => planRun(parseSimulateArgs(argv, {}, NOW), undefined, ['d'], NOW);
const take = <T>(items: Iterable<T>, n: number): T[] => {
  const out: T[] = [];
  for (const item of items) {
    if (out.length === n) break;
    out.push(item);
  }
  return out;
};

describe('planRun', () => {
  it('--backfill sends FROM up to (not including) TO, all due at once', () => {
    const run = plan('--device', 'd', '--backfill', '2026-03-10T00:00Z..2026-03-10T01:00Z');
    const readings = [...run.readings];
    expect(run.total).toBe(6);
    expect(readings.map((r) => new Date(r.at).toISOString().slice(11, 16))).toEqual([
      '00:00',
      '00:10',
      '00:20',
      '00:30',
      '00:40',
      '00:50',
    ]);
    expect(readings.every((r) => run.pacing(r.at) <= NOW)).toBe(true);
  });

  it('--follow continues past TO, each reading due when the clock reaches its timestamp', () => {
    const run = plan('--device', 'd', '--backfill', '2026-03-10T00:00Z..now', '--follow');
    expect(run.total).toBeUndefined();
    const readings = take(run.readings, 80);
    const live = readings.filter((r) => r.at >= NOW);
    expect(live.length).toBeGreaterThan(0);
    for (const r of live) expect(run.pacing(r.at)).toBe(r.at);
    expect(readings.filter((r) => r.at < NOW).every((r) => run.pacing(r.at) === 0)).toBe(true);
  });

  it('real time by default: starts at the current interval, each reading due at its own time', () => {
    const run = plan('--device', 'd');
    const [first, second] = take(run.readings, 2);
    expect(first!.at).toBe(Date.parse('2026-03-10T12:30:00Z'));
    expect(run.pacing(second!.at) - run.pacing(first!.at)).toBe(600_000);
    expect(run.total).toBeUndefined();
  });

  it('--speed 60 with --start: ten simulated minutes per ten real seconds', () => {
    const run = plan('--device', 'd', '--start', '2026-03-01T00:00Z', '--speed', '60', '--count', '3');
    const readings = [...run.readings];
    expect(readings.map((r) => run.pacing(r.at) - NOW)).toEqual([0, 10_000, 20_000]);
    expect(run.total).toBe(3);
  });
});
