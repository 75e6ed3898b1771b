/**
 * Alerts as a user sees them: raised by the runtime when a device goes over
 * its hourly limit, listed by status (clients: their own devices only) and
 * acknowledged; another client's alert is a 404.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../contract.ts';
import { useTestApp } from '../testing-hooks.ts';

const t = useTestApp({ runtime: true });

/** A device of `ownerId` that went over its 2 kWh limit in the current hour. */
async function deviceOverLimit(ownerId: string | null, name = 'Oven') {
  const device = await t.createDevice({ name, ownerId, maxHourlyKwh: 2, timeZone: 'UTC' });
  const hourStart = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const at = Math.max(hourStart, Date.now() - 1000);
  const res = await t.request('POST', '/api/readings', {
    body: { readings: [{ deviceId: device.id, timestamp: at, value: 5 }] },
  });
  expect(res.status).toBe(202);
  await t.settle();
  return device;
}

async function list(query: string, token?: string) {
  const res = await t.request('GET', `/api/alerts${query}`, token ? { token } : {});
  expect(res.status).toBe(200);
  return (await res.json()) as { items: Alert[]; total: number };
}

describe('alerts', () => {
  it('lists an exceeded alert for a device over its limit, with the documented fields', async () => {
    const client = await t.createClient();
    const device = await deviceOverLimit(client.id, 'Kettle');
    const { items, total } = await list(`?deviceId=${device.id}`);
    expect(total).toBeGreaterThanOrEqual(1);
    const exceeded = items.find((a) => a.kind === 'exceeded');
    expect(exceeded).toEqual({
      id: expect.any(String),
      deviceId: device.id,
      deviceName: 'Kettle',
      ownerId: client.id,
      kind: 'exceeded',
      hourStart: expect.any(String),
      kwh: 5,
      maxHourlyKwh: 2,
      late: expect.any(Boolean), // false, unless the hour turned while it was processed
      createdAt: expect.any(String),
      acknowledgedAt: null,
    });
    expect(Date.parse(exceeded!.hourStart) % 3_600_000).toBe(0);
  });

  it('shows clients only the alerts of their own devices', async () => {
    const alice = await t.createClient();
    const bob = await t.createClient();
    const a = await deviceOverLimit(alice.id);
    const b = await deviceOverLimit(bob.id);
    const mine = await list('?status=all&limit=500', alice.token);
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((x) => x.deviceId === a.id)).toBe(true);
    expect(mine.total).toBe(mine.items.length);
    // Asking for another client's device by id yields nothing, not its alerts.
    expect((await list(`?deviceId=${b.id}`, alice.token)).total).toBe(0);
    // Admins see both.
    const all = await list('?status=all&limit=500');
    const devices = new Set(all.items.map((x) => x.deviceId));
    expect(devices.has(a.id) && devices.has(b.id)).toBe(true);
  });

  it('lists what a reconnecting client missed with since=<newest createdAt it saw>, acknowledged ones too', async () => {
    const client = await t.createClient();
    const seen = await deviceOverLimit(client.id, 'Seen');
    const [last] = (await list(`?deviceId=${seen.id}`, client.token)).items;
    // While the client is away: one alert raised and acknowledged, one raised and left open.
    const acked = await deviceOverLimit(client.id, 'Acked meanwhile');
    const [gone] = (await list(`?deviceId=${acked.id}`, client.token)).items;
    expect((await t.request('POST', `/api/alerts/${gone!.id}/ack`, { token: client.token })).status).toBe(
      200,
    );
    const open = await deviceOverLimit(client.id, 'Open meanwhile');

    const since = encodeURIComponent(last!.createdAt);
    const missed = await list(`?status=all&since=${since}`, client.token);
    const names = missed.items.map((a) => a.deviceName);
    // Inclusive: the newest alert the client had comes back too (merge by id).
    expect(names.sort()).toEqual(['Acked meanwhile', 'Open meanwhile', 'Seen']);
    expect(missed.total).toBe(3);
    const later = new Date(Date.parse(missed.items[0]!.createdAt) + 1).toISOString();
    expect((await list(`?status=all&since=${encodeURIComponent(later)}`, client.token)).items).toEqual([]);
    expect(open.id).toBeDefined();
    // Not an instant: 400 with the error body.
    const bad = await t.request('GET', '/api/alerts?since=yesterday', { token: client.token });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('acknowledges (200 alert), moving it from open to acknowledged; acking twice keeps the first time', async () => {
    const client = await t.createClient();
    const device = await deviceOverLimit(client.id);
    const open = await list(`?deviceId=${device.id}`, client.token);
    const alert = open.items.find((x) => x.kind === 'exceeded')!;
    const res = await t.request('POST', `/api/alerts/${alert.id}/ack`, { token: client.token });
    expect(res.status).toBe(200);
    const acked = (await res.json()) as Alert;
    expect(acked).toMatchObject({ id: alert.id, kind: 'exceeded', deviceId: device.id });
    expect(Date.parse(acked.acknowledgedAt!)).not.toBeNaN();

    const stillOpen = await list(`?deviceId=${device.id}&status=open`, client.token);
    expect(stillOpen.items.map((x) => x.id)).not.toContain(alert.id);
    const done = await list(`?deviceId=${device.id}&status=acknowledged`, client.token);
    expect(done.items.map((x) => x.id)).toContain(alert.id);

    const again = await (await t.request('POST', `/api/alerts/${alert.id}/ack`)).json();
    expect(again.acknowledgedAt).toBe(acked.acknowledgedAt);
  });

  it('answers 404 when a client acknowledges another client’s alert, and leaves it open', async () => {
    const alice = await t.createClient();
    const mallory = await t.createClient();
    const device = await deviceOverLimit(alice.id);
    const alert = (await list(`?deviceId=${device.id}`)).items[0]!;
    const res = await t.request('POST', `/api/alerts/${alert.id}/ack`, { token: mallory.token });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
    const after = (await list(`?deviceId=${device.id}&status=open`)).items.map((x) => x.id);
    expect(after).toContain(alert.id);
  });

  it('answers 404 for an unknown or malformed alert id and 400 for a bad status', async () => {
    const unknown = await t.request('POST', '/api/alerts/00000000-0000-4000-8000-000000000009/ack');
    expect(unknown.status).toBe(404);
    for (const path of ['/api/alerts?status=closed', '/api/alerts?deviceId=nope', '/api/alerts?limit=501']) {
      const res = await t.request('GET', path);
      expect(res.status, path).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_request');
    }
    const badId = await t.request('POST', '/api/alerts/not-a-uuid/ack');
    expect(badId.status).toBe(404);
    expect((await badId.json()).error.code).toBe('not_found');
  });
});
