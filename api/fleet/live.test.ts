// FleetLive: sends only to present admins, only changes, never two queries at once.
import { describe, expect, it } from 'vitest';
import type { FleetSummary } from '../contract.ts';
import { FleetLive } from './live.ts';

const summary = (devices: number): FleetSummary => ({
  devices,
  assigned: 0,
  reporting: 0,
  silent: 0,
  overLimitNow: 0,
  liveKwh: 0,
  todayKwh: 0,
  alertsLast24h: [],
  top: [],
});

describe('FleetLive', () => {
  it('queries only with admins present and sends only what changed', async () => {
    let present = false;
    let devices = 1;
    let queries = 0;
    const sent: FleetSummary[] = [];
    const live = new FleetLive({
      admins: { present: () => present, emit: (s) => sent.push(s) },
      summary: async () => {
        queries++;
        return summary(devices);
      },
    });
    await live.tick();
    expect(queries).toBe(0);
    present = true;
    await live.tick();
    await live.tick();
    expect(sent.map((s) => s.devices)).toEqual([1]);
    devices = 2;
    await live.tick();
    expect(sent.map((s) => s.devices)).toEqual([1, 2]);
    // An admin who comes back later gets the current state even though it did not change.
    present = false;
    await live.tick();
    present = true;
    await live.tick();
    expect(sent.map((s) => s.devices)).toEqual([1, 2, 2]);
    expect(queries).toBe(4);
  });

  it('reports an outage once, not every second, and again after a recovery', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const live = new FleetLive({
      admins: { present: () => true, emit: () => {} },
      summary: async () => {
        if (fail) throw new Error('db away');
        return summary(1);
      },
      onError: (err) => errors.push(err),
    });
    for (let i = 0; i < 5; i++) await live.tick();
    expect(errors).toHaveLength(1);
    fail = false;
    await live.tick();
    fail = true;
    await live.tick();
    expect(errors).toHaveLength(2);
  });

  it('never overlaps a slow query, and survives a failing one', async () => {
    let release: () => void = () => {};
    let calls = 0;
    const errors: unknown[] = [];
    const live = new FleetLive({
      admins: { present: () => true, emit: () => {} },
      summary: () => {
        calls++;
        if (calls === 2) return Promise.reject(new Error('db away'));
        return new Promise((resolve) => {
          release = () => resolve(summary(1));
        });
      },
      onError: (err) => errors.push(err),
    });
    const first = live.tick();
    await live.tick(); // skipped: the first is still running
    expect(calls).toBe(1);
    release();
    await first;
    await live.tick();
    expect(errors).toHaveLength(1);
    expect(calls).toBe(2);
  });
});
