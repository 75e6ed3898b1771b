/**
 * Silent meters through the HTTP API (issue 15, API.md Devices and Alerts):
 * `silentAfterMinutes` is null or 5–10080, refused whole otherwise; a silent
 * device gets one `silent` alert from the runtime's sweep, listed and pushed
 * like any alert; the device's next reading acknowledges it; clearing the
 * limit (applied in shard order) ends the watch. Six minutes of silence are
 * made by moving the device's silence back in the database.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../contract.ts';
import { useTestApp } from '../testing-hooks.ts';

const t = useTestApp({ runtime: true });

const age = (id: string) =>
  t.db.sql`update devices set silent_since = silent_since - interval '6 minutes',
    silent_due_at = silent_due_at - interval '6 minutes' where id = ${id}`;

async function alertsOf(deviceId: string): Promise<Alert[]> {
  const res = await t.request('GET', `/api/alerts?status=all&deviceId=${deviceId}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Alert[] }).items;
}

describe('silentAfterMinutes', () => {
  it.each([4, 10081, 7.5, '30', 0])('refuses %j with a 400 naming the field', async (value) => {
    const res = await t.request('POST', '/api/devices', {
      body: { name: 'M', maxHourlyKwh: 1, silentAfterMinutes: value },
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details.map((d: { path: string }) => d.path)).toContain('silentAfterMinutes');
  });

  it('is stored, changed and cleared; 5 and 10080 are the bounds', async () => {
    const res = await t.request('POST', '/api/devices', {
      body: { name: 'M', maxHourlyKwh: 1, silentAfterMinutes: 5 },
    });
    expect(res.status).toBe(201);
    const device = await res.json();
    expect(device.silentAfterMinutes).toBe(5);
    for (const value of [10080, null]) {
      const patched = await t.request('PATCH', `/api/devices/${device.id}`, {
        body: { silentAfterMinutes: value },
      });
      expect(patched.status).toBe(200);
      expect((await patched.json()).silentAfterMinutes).toBe(value);
    }
    const bad = await t.request('PATCH', `/api/devices/${device.id}`, {
      body: { silentAfterMinutes: 10081 },
    });
    expect(bad.status).toBe(400);
  });
});

describe('a silent device', () => {
  it('gets one silent alert, listed and pushed; its next reading acknowledges it', async () => {
    const res = await t.request('POST', '/api/devices', {
      body: { name: 'Freezer', maxHourlyKwh: 2, timeZone: 'Asia/Kolkata', silentAfterMinutes: 5 },
    });
    const device = await res.json();
    expect(await t.processor!.sweepSilent()).toEqual([]); // not silent for 5 minutes yet
    await age(device.id);
    expect((await t.processor!.sweepSilent()).map((a) => a.kind)).toEqual(['silent']);
    expect(await t.processor!.sweepSilent()).toEqual([]);

    const [alert, ...more] = await alertsOf(device.id);
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      deviceId: device.id,
      deviceName: 'Freezer',
      kind: 'silent',
      kwh: 0,
      maxHourlyKwh: 2,
      late: false,
      acknowledgedAt: null,
    });
    expect(alert!.hourStart).toMatch(/T\d\d:00:00\+05:30$/); // a local hour start in the device's zone
    const pushed = t.events.filter((e) => e.event === 'alert').map((e) => e.payload as Alert);
    expect(pushed.filter((p) => p.id === alert!.id)).toEqual([alert]);

    const reading = await t.request('POST', '/api/readings', {
      body: { readings: [{ deviceId: device.id, timestamp: Date.now() - 1000, value: 0.1 }] },
    });
    expect(reading.status).toBe(202);
    await t.settle();
    const [acked] = await alertsOf(device.id);
    expect(acked!.acknowledgedAt).not.toBeNull();
  });

  it('is no longer watched once its limit is cleared (in shard order)', async () => {
    const device = await (
      await t.request('POST', '/api/devices', { body: { name: 'M', maxHourlyKwh: 1, silentAfterMinutes: 5 } })
    ).json();
    const patched = await t.request('PATCH', `/api/devices/${device.id}`, {
      body: { silentAfterMinutes: null },
    });
    expect(patched.status).toBe(200);
    await t.settle();
    await age(device.id);
    expect(await t.processor!.sweepSilent()).toEqual([]);
    expect(await alertsOf(device.id)).toEqual([]);
  });
});
