// The limit check and the projection rule, on numbers and at their edges.
import { describe, expect, it } from 'vitest';
import { isExceeded, type ProjectionInput, projectHour, shouldWarnProjected } from './limits.ts';
import { RollingWindow } from './window.ts';

const MINUTE = 60_000;
const H = Date.UTC(2026, 5, 1, 9); // an hour start

function input(overrides: Partial<ProjectionInput>): ProjectionInput {
  return {
    hourStart: H,
    hourEnd: H + 60 * MINUTE,
    now: H + 30 * MINUTE,
    hourTotal: 1,
    rolling60Kwh: 2,
    windowCoveredMs: 60 * MINUTE,
    hourReadings: 6,
    ...overrides,
  };
}

describe('isExceeded', () => {
  it('is strictly greater than the limit', () => {
    expect(isExceeded(5, 5)).toBe(false);
    expect(isExceeded(5.000000001, 5)).toBe(true);
    expect(isExceeded(4.999, 5)).toBe(false);
    expect(isExceeded(0, 0)).toBe(false);
    expect(isExceeded(0.000000001, 0)).toBe(true);
  });

  it('does not fire on binary noise when the total equals the limit', () => {
    expect(0.1 + 0.2 > 0.3).toBe(true);
    expect(isExceeded(0.1 + 0.2, 0.3)).toBe(false);
    expect(isExceeded(0.3000000000001, 0.3)).toBe(false);
  });

  it('treats a missing or non-finite limit as no limit', () => {
    expect(isExceeded(1e9, null)).toBe(false);
    expect(isExceeded(1e9, undefined)).toBe(false);
    expect(isExceeded(1e9, Number.POSITIVE_INFINITY)).toBe(false);
    expect(isExceeded(1e9, Number.NaN)).toBe(false);
  });
});

describe('projectHour', () => {
  it('adds the recent rate times the time left', () => {
    // 2 kWh in the last 60 minutes, 30 minutes left: 1 + 2/60 × 30 = 2.
    expect(projectHour(input({}))).toBe(2);
    // 45 minutes in: 1.5 + 2/60 × 15 = 2.
    expect(projectHour(input({ now: H + 45 * MINUTE, hourTotal: 1.5 }))).toBe(2);
  });

  it('divides by the time the window covers while the device is new', () => {
    // 0.5 kWh over 15 minutes is 2 kWh/h; 30 minutes left adds 1.
    expect(projectHour(input({ hourTotal: 0.5, rolling60Kwh: 0.5, windowCoveredMs: 15 * MINUTE }))).toBe(1.5);
    // Coverage never counts for more than the window's 60 minutes.
    expect(projectHour(input({ windowCoveredMs: 5 * 60 * MINUTE }))).toBe(2);
  });

  it('does not project before 10 minutes of the hour have passed', () => {
    expect(projectHour(input({ now: H + 10 * MINUTE - 1, hourTotal: 0.3 }))).toBe(0.3);
    expect(projectHour(input({ now: H + 10 * MINUTE, hourTotal: 0.3 }))).toBe(1.966666667); // 0.3 + 2/60 × 50, rounded to 1e-9
  });

  it('does not project from fewer than 2 readings in the hour', () => {
    expect(projectHour(input({ hourReadings: 1, hourTotal: 4, rolling60Kwh: 4 }))).toBe(4);
    expect(projectHour(input({ hourReadings: 0, hourTotal: 0 }))).toBe(0);
    expect(projectHour(input({ hourReadings: 2, hourTotal: 4, rolling60Kwh: 4 }))).toBe(6);
  });

  it('does not project when the window covers less than 10 minutes', () => {
    expect(projectHour(input({ windowCoveredMs: 10 * MINUTE - 1 }))).toBe(1);
    expect(projectHour(input({ windowCoveredMs: 10 * MINUTE, rolling60Kwh: 1 }))).toBe(1 + (1 / 10) * 30);
  });

  it('is the total itself at or after the end of the hour, or when nothing was used recently', () => {
    expect(projectHour(input({ now: H + 60 * MINUTE, hourTotal: 3 }))).toBe(3);
    expect(projectHour(input({ now: H + 90 * MINUTE, hourTotal: 3 }))).toBe(3);
    expect(projectHour(input({ rolling60Kwh: 0 }))).toBe(1);
  });

  it('projects a short (30-minute) hour over its own length', () => {
    // Lord Howe's half-hour hour: 20 minutes in, 10 left, 6 kWh/h adds 1.
    expect(projectHour(input({ hourEnd: H + 30 * MINUTE, now: H + 20 * MINUTE, rolling60Kwh: 6 }))).toBe(2);
  });

  it('defaults to a full window when coverage is not given', () => {
    const { windowCoveredMs: _, ...rest } = input({});
    expect(projectHour(rest)).toBe(2);
  });

  it('works from a real window fed a steady 0.1 kWh every 5 minutes', () => {
    const w = new RollingWindow();
    let hourTotal = 0;
    let hourReadings = 0;
    for (let t = H - 60 * MINUTE; t <= H + 20 * MINUTE; t += 5 * MINUTE) {
      w.add(t, 0.1);
      // A reading stamped exactly at the hour start belongs to that hour (docs/API.md).
      if (t >= H) {
        hourTotal += 0.1;
        hourReadings++;
      }
    }
    const now = H + 20 * MINUTE;
    const projected = projectHour({
      hourStart: H,
      hourEnd: H + 60 * MINUTE,
      now,
      hourTotal,
      rolling60Kwh: w.sum(now),
      windowCoveredMs: w.coveredMs(now),
      hourReadings,
    });
    // 12 readings in the window = 1.2 kWh/h; 0.5 so far (5 readings) plus 40 minutes at that rate.
    expect(hourReadings).toBe(5);
    expect(projected).toBe(1.3);
  });
});

describe('shouldWarnProjected', () => {
  it('warns when the projection is over the limit and the total is not', () => {
    expect(shouldWarnProjected(5.5, 4, 5)).toBe(true);
    expect(shouldWarnProjected(5.5, 5, 5)).toBe(true); // total at the limit is not over it
  });

  it('does not warn once the limit is exceeded: that is the other alert', () => {
    expect(shouldWarnProjected(7, 5.1, 5)).toBe(false);
  });

  it('does not warn when the projection reaches the limit without passing it', () => {
    expect(shouldWarnProjected(5, 4, 5)).toBe(false);
    expect(shouldWarnProjected(0.1 + 0.2, 0.1, 0.3)).toBe(false);
    expect(shouldWarnProjected(4, 4, 5)).toBe(false);
  });

  it('never warns without a limit', () => {
    expect(shouldWarnProjected(1e9, 0, null)).toBe(false);
  });
});
