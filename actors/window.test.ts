// The rolling window's edges, late and future readings, coverage, and a long run
// checked against a brute-force sum so the running total cannot drift unnoticed.
import { describe, expect, it } from 'vitest';
import { roundKwh } from './meter.ts';
import { RollingWindow, WINDOW_MS } from './window.ts';

const MINUTE = 60_000;
const T = Date.UTC(2026, 5, 1, 12); // an arbitrary whole hour

/** A window fed these readings (instant, kWh), in this order. */
function windowOf(...readings: Array<readonly [number, number]>): RollingWindow {
  const w = new RollingWindow();
  for (const [ts, kwh] of readings) w.add(ts, kwh);
  return w;
}

describe('RollingWindow', () => {
  it('is empty at first', () => {
    const w = new RollingWindow();
    expect(w.sum(T)).toBe(0);
    expect(w.size).toBe(0);
    expect(w.coveredMs(T)).toBe(0);
  });

  it('sums readings in (now − 60 min, now]: a reading exactly 60 min old is out', () => {
    const w = windowOf([T, 1], [T + 30 * MINUTE, 2]);
    expect(w.sum(T + 30 * MINUTE)).toBe(3);
    expect(w.sum(T + WINDOW_MS - 1)).toBe(3); // 1 ms short of an hour: still in
    expect(w.sum(T + WINDOW_MS)).toBe(2); // exactly an hour old: out
    expect(w.size).toBe(1);
    expect(w.sum(T + 30 * MINUTE + WINDOW_MS)).toBe(0);
    expect(w.size).toBe(0);
  });

  it('counts a reading stamped exactly now', () => {
    const w = windowOf([T, 0.5]);
    expect(w.sum(T)).toBe(0.5);
  });

  it('keeps a reading from the future out of the sum until its time comes', () => {
    const w = windowOf([T, 1], [T + 5 * MINUTE, 4]);
    expect(w.sum(T + 4 * MINUTE)).toBe(1);
    expect(w.sum(T + 5 * MINUTE)).toBe(5);
  });

  it('accepts a late reading that is still inside the window, in timestamp order', () => {
    const w = windowOf([T + 50 * MINUTE, 1]);
    expect(w.add(T + 20 * MINUTE, 2)).toBe(true);
    expect(w.add(T + 40 * MINUTE, 4)).toBe(true);
    expect(w.sum(T + 50 * MINUTE)).toBe(7);
    // The late ones leave the window at their own time, not at the newest one's.
    expect(w.sum(T + 80 * MINUTE)).toBe(5);
    expect(w.sum(T + 100 * MINUTE)).toBe(1);
  });

  it('ignores a late reading that is 60 min or more older than the newest instant seen', () => {
    const w = windowOf([T + WINDOW_MS, 1]);
    expect(w.add(T, 8)).toBe(false);
    expect(w.add(T - MINUTE, 8)).toBe(false);
    expect(w.add(T + 1, 2)).toBe(true);
    expect(w.sum(T + WINDOW_MS)).toBe(3);
    // A sum at a later now moves the edge too.
    const v = new RollingWindow();
    v.sum(T + 2 * WINDOW_MS);
    expect(v.add(T + WINDOW_MS, 1)).toBe(false);
    expect(v.sum(T + 2 * WINDOW_MS)).toBe(0);
  });

  it('reports how much time its energy covers', () => {
    const w = windowOf([T, 0]);
    expect(w.coveredMs(T)).toBe(0);
    expect(w.coveredMs(T + 15 * MINUTE)).toBe(15 * MINUTE);
    expect(w.coveredMs(T + 3 * WINDOW_MS)).toBe(WINDOW_MS);
    w.add(T - 10 * MINUTE, 1); // a late reading extends it back
    expect(w.coveredMs(T + 15 * MINUTE)).toBe(25 * MINUTE);
  });

  it('forgets everything on clear', () => {
    const w = windowOf([T + WINDOW_MS, 3]);
    w.clear();
    expect(w.size).toBe(0);
    expect(w.coveredMs(T + WINDOW_MS)).toBe(0);
    expect(w.add(T, 1)).toBe(true); // the old edge is forgotten too
    expect(w.sum(T)).toBe(1);
  });

  it('matches a brute-force sum over a day of dense, jittered and late readings', () => {
    const w = new RollingWindow();
    const all: [number, number][] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let newest = T;
    for (let i = 0; i < 20_000; i++) {
      const late = random() < 0.1;
      const ts = late ? newest - Math.floor(random() * 90 * MINUTE) : newest + Math.floor(random() * 10_000);
      const kwh = Math.round(random() * 1e6) / 1e7; // like 0.0123456
      const kept = w.add(ts, kwh);
      expect(kept).toBe(ts > newest - WINDOW_MS);
      if (kept) all.push([ts, kwh]);
      newest = Math.max(newest, ts);
      if (i % 97 === 0) {
        const expected = all
          .filter(([t]) => t > newest - WINDOW_MS && t <= newest)
          .reduce((s, [, k]) => s + k, 0);
        expect(w.sum(newest)).toBe(roundKwh(expected));
      }
    }
    // Memory stays bounded by what is in the window, not by what passed through it.
    expect(w.size).toBeLessThan(1000);
  });

  it('keeps one entry per reading: a correction of a stored reading adds to its energy, as a reload would hold it', () => {
    const corrected = new RollingWindow();
    corrected.add(T, 1);
    corrected.add(T + 10 * MINUTE, 2);
    corrected.add(T + 20 * MINUTE, 3);
    corrected.add(T + 10 * MINUTE, -0.5); // a late reading split the interval ending at T+10
    const reloaded = windowOf([T, 1], [T + 10 * MINUTE, 1.5], [T + 20 * MINUTE, 3]);
    expect(corrected.pace(T + 20 * MINUTE)).toEqual(reloaded.pace(T + 20 * MINUTE));
    expect(corrected.pace(T + 20 * MINUTE)).toEqual({ readings: 3, spanMs: 20 * MINUTE, kwhAfterFirst: 4.5 });
    expect(corrected.size).toBe(3);
  });
});
