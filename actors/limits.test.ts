// The limit check and the projection rule, on numbers and at their edges.
import { describe, expect, it } from 'vitest';
import { DeviceActor } from './device-actor.ts';
import { isExceeded, type ProjectionInput, projectHour, shouldWarnProjected } from './limits.ts';
import { type DeviceStore, emptyBatch } from './store.ts';
import { RollingWindow } from './window.ts';

const MINUTE = 60_000;
const H = Date.UTC(2026, 5, 1, 9); // an hour start

function input(overrides: Partial<ProjectionInput>): ProjectionInput {
  return {
    hourStart: H,
    hourEnd: H + 60 * MINUTE,
    now: H + 30 * MINUTE,
    hourTotal: 1,
    hourReadings: 6,
    pace: { readings: 6, spanMs: 50 * MINUTE, kwhAfterFirst: 1.5 },
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
  it('adds the recent rate over the time left after the next reading', () => {
    // 6 readings every 10 minutes, 0.3 kWh each after the first: 0.03 kWh/min, cadence 10 min.
    // At :30, the readings still to come in this hour are :40 and :50 (the :00 one is the next hour's).
    expect(projectHour(input({}))).toBe(1 + 0.03 * 20);
  });

  it('does not count the next hour’s first reading (steady pace: exact end-of-hour total)', () => {
    // Steady 0.9 kWh every 10 minutes, readings at :00 … :50: the hour ends with 5.4 kWh.
    const pace = { readings: 6, spanMs: 50 * MINUTE, kwhAfterFirst: 4.5 };
    for (let k = 2; k <= 6; k++) {
      const now = H + (k - 1) * 10 * MINUTE;
      expect(
        projectHour(input({ now, hourTotal: 0.9 * k, hourReadings: k, pace })),
        `at :${(k - 1) * 10}`,
      ).toBe(5.4);
    }
  });

  it('projects a new device’s first hour from its own readings only', () => {
    // Readings at :00, :10 and :20 of 0.9 kWh: the first one’s energy is from before :00.
    const pace = { readings: 3, spanMs: 20 * MINUTE, kwhAfterFirst: 1.8 };
    expect(projectHour(input({ now: H + 20 * MINUTE, hourTotal: 2.7, hourReadings: 3, pace }))).toBe(5.4);
  });

  it('does not project before 10 minutes of the hour have passed', () => {
    expect(projectHour(input({ now: H + 10 * MINUTE - 1, hourTotal: 0.3 }))).toBe(0.3);
    expect(projectHour(input({ now: H + 10 * MINUTE, hourTotal: 0.3 }))).toBe(0.3 + 0.03 * 40);
  });

  it('does not project from fewer than 2 readings in the hour or in the window', () => {
    expect(projectHour(input({ hourReadings: 1, hourTotal: 4 }))).toBe(4);
    expect(projectHour(input({ hourReadings: 0, hourTotal: 0 }))).toBe(0);
    expect(projectHour(input({ pace: { readings: 1, spanMs: 0, kwhAfterFirst: 0 } }))).toBe(1);
  });

  it('does not project when the readings span less than 10 minutes', () => {
    expect(projectHour(input({ pace: { readings: 3, spanMs: 10 * MINUTE - 1, kwhAfterFirst: 1 } }))).toBe(1);
  });

  it('is the total itself at or after the end of the hour, or when nothing was used recently', () => {
    expect(projectHour(input({ now: H + 60 * MINUTE, hourTotal: 3 }))).toBe(3);
    expect(projectHour(input({ now: H + 90 * MINUTE, hourTotal: 3 }))).toBe(3);
    expect(projectHour(input({ pace: { readings: 6, spanMs: 50 * MINUTE, kwhAfterFirst: 0 } }))).toBe(1);
  });

  it('projects a short (30-minute) hour over its own length', () => {
    // Lord Howe's DST change: :00 to :30 only; at :10 one more reading (:20) is to come.
    expect(projectHour(input({ hourEnd: H + 30 * MINUTE, now: H + 10 * MINUTE }))).toBe(1 + 0.03 * 10);
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
      hourReadings,
      pace: w.pace(now),
    });
    // 0.5 kWh so far (5 readings, :00 to :20); 7 more (:25 … :55) make 1.2, the true total.
    expect(hourReadings).toBe(5);
    expect(projected).toBe(1.2);
  });
});

describe('the device actor at a steady pace below its limit', () => {
  const store: DeviceStore = {
    loadMany: async () => new Map(),
    around: async () => [],
    hourTotals: async () => new Map(),
    fence: async (_s, e) => e,
    commit: async () => [],
    markPublished: async () => {},
    claimUnpublished: async () => [],
    dueSilent: async () => [],
    raiseSilent: async () => [],
  } as DeviceStore;

  it.each([
    ['0.9 kWh per 10 minutes against 6', 0.9, 6, 10],
    ['0.15 kWh per 10 minutes against 1 (API.md)', 0.15, 1, 10],
    ['0.1 kWh per 5 minutes against 1.25', 0.1, 1.25, 5],
  ])('never warns: %s', async (_, kwh, limit, stepMin) => {
    const config = {
      id: 'd',
      name: 'd',
      ownerId: null,
      maxHourlyKwh: limit,
      meterKind: 'interval' as const,
      timeZone: 'Asia/Kolkata',
    };
    const actor = new DeviceActor('d', { config, recent: [], openHour: null, openHourAlerts: [] }, store);
    const alerts: string[] = [];
    const start = Date.UTC(2026, 2, 10, 0, 30); // a Kolkata hour start, first hour of a new device
    for (let t = start; t < start + 5 * 60 * MINUTE; t += stepMin * MINUTE) {
      const batch = emptyBatch();
      await actor.receive({ readings: [[t, kwh]], batch, now: t + 1000 });
      alerts.push(...batch.alerts.map((a) => `${a.kind}@${new Date(a.hourStart).toISOString()}`));
    }
    expect(alerts).toEqual([]);
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

describe('RollingWindow.pace', () => {
  it('counts a corrected reading once (a late cumulative reading split its interval)', () => {
    const w = new RollingWindow();
    for (let k = 0; k < 4; k++) w.add(H + k * 10 * MINUTE, 0.5);
    w.add(H + 25 * MINUTE, 0.2); // late reading between :20 and :30
    w.add(H + 30 * MINUTE, -0.2); // :30's energy corrected by the split
    expect(w.pace(H + 30 * MINUTE)).toEqual({ readings: 5, spanMs: 30 * MINUTE, kwhAfterFirst: 1.5 });
    expect(w.sum(H + 30 * MINUTE)).toBe(2);
  });
});
