/**
 * GET /api/fleet/summary against a fleet seeded through the real reading path,
 * with devices in zones 25 hours apart (Pacific/Kiritimati +14, Pacific/Pago_Pago
 * -11), so the same instant is "today" for one and "yesterday" for another. The
 * numbers come from the per-device rows the shard transactions keep: they stay
 * the same after the raw readings are gone.
 */
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../testing-hooks.ts';
import { fleetSummary } from './repo.ts';

const t = useTestApp({ runtime: true });

// "Now" for the summary: 10:30 UTC = 00:30 next day in Kiritimati, 23:30 previous day in Pago Pago.
const NOW = Date.parse('2026-06-15T10:30:00Z');

async function post(deviceId: string, readings: Array<[string, number]>) {
  const res = await t.request('POST', '/api/readings', {
    body: { readings: readings.map(([timestamp, value]) => ({ deviceId, timestamp, value })) },
  });
  expect(res.status).toBe(202);
}

describe('fleet summary', () => {
  it('counts devices, reporting, silent, over limit, live and each device’s own today', async () => {
    const owner = await t.createClient();
    const kiritimati = await t.createDevice({ name: 'K', timeZone: 'Pacific/Kiritimati', maxHourlyKwh: 50 });
    const pago = await t.createDevice({
      name: 'P',
      timeZone: 'Pacific/Pago_Pago',
      maxHourlyKwh: 50,
      ownerId: owner.id,
    });
    const utc = await t.createDevice({ name: 'U', timeZone: 'UTC', maxHourlyKwh: 1, ownerId: owner.id });
    const kolkata = await t.createDevice({ name: 'S', timeZone: 'Asia/Kolkata', maxHourlyKwh: 50 });
    await t.createDevice({ name: 'N', timeZone: 'UTC' }); // never reported

    // Kiritimati: 23:50 local yesterday (3), 00:10 local today (1): today 1, open hour 1.
    await post(kiritimati.id, [
      ['2026-06-15T09:50:00Z', 3],
      ['2026-06-15T10:10:00Z', 1],
    ]);
    // Pago Pago: 00:30 and 23:20 local, both on its 14 June, still today there: 2.5; open hour 0.5.
    await post(pago.id, [
      ['2026-06-14T11:30:00Z', 2],
      ['2026-06-15T10:20:00Z', 0.5],
    ]);
    // UTC: yesterday 4 (over its limit of 1), today 1.5 in the open hour, over the limit now.
    await post(utc.id, [
      ['2026-06-14T23:30:00Z', 4],
      ['2026-06-15T10:05:00Z', 1.5],
    ]);
    // Kolkata: one reading 1 h 50 min before now (14:10 local): silent, but used 0.7 today.
    await post(kolkata.id, [['2026-06-15T08:40:00Z', 0.7]]);
    // A late reading for Pago Pago's today, after its open hour: counted in today, not live.
    await post(pago.id, [['2026-06-15T09:00:00Z', 0.25]]);
    await t.settle();

    const summary = await fleetSummary(t.db.sql, NOW);
    expect(summary).toMatchObject({
      devices: 5,
      assigned: 2,
      reporting: 3,
      silent: 1,
      overLimitNow: 1,
      liveKwh: 3,
      todayKwh: 5.95,
    });
    expect(summary.top).toEqual([
      { deviceId: pago.id, name: 'P', todayKwh: 2.75, maxHourlyKwh: 50 },
      { deviceId: utc.id, name: 'U', todayKwh: 1.5, maxHourlyKwh: 1 },
      { deviceId: kiritimati.id, name: 'K', todayKwh: 1, maxHourlyKwh: 50 },
      { deviceId: kolkata.id, name: 'S', todayKwh: 0.7, maxHourlyKwh: 50 },
    ]);
    expect(summary.alertsLast24h).toHaveLength(24);
    expect(summary.alertsLast24h[0]!.hourStart).toBe('2026-06-14T11:00:00+00:00');
    expect(summary.alertsLast24h[23]!.hourStart).toBe('2026-06-15T10:00:00+00:00');
    const exceeded = summary.alertsLast24h.flatMap((h, i) => (h.exceeded > 0 ? [[i, h.exceeded]] : []));
    expect(exceeded).toEqual([
      [12, 1], // U, 23:00 UTC on the 14th
      [23, 1], // U, 10:00 UTC now
    ]);

    // An hour later nothing reports, nothing is live, and Kiritimati's today is unchanged.
    const later = await fleetSummary(t.db.sql, NOW + 3_600_000);
    expect(later).toMatchObject({ reporting: 0, silent: 4, overLimitNow: 0, liveKwh: 0 });
    // Pago Pago's day ended at 11:00 UTC: its 2.75 left "today".
    expect(later.todayKwh).toBe(3.2);

    // Never from raw readings: the same answer once they are gone.
    await t.db.sql`delete from readings`;
    expect(await fleetSummary(t.db.sql, NOW)).toEqual(summary);

    // A higher limit, once it reaches the device in shard order: nobody over it now.
    const raised = await t.request('PATCH', `/api/devices/${utc.id}`, { body: { maxHourlyKwh: 5 } });
    expect(raised.status).toBe(200);
    await t.settle();
    expect((await fleetSummary(t.db.sql, NOW)).overLimitNow).toBe(0);
  });

  it('follows a zone change: the open hour and today are cut again in the new zone', async () => {
    const device = await t.createDevice({ name: 'Z', timeZone: 'UTC', maxHourlyKwh: 50 });
    await post(device.id, [['2026-06-15T01:30:00Z', 2]]);
    await t.settle();
    const at = Date.parse('2026-06-15T01:45:00Z');
    const before = (await fleetSummary(t.db.sql, at)).top.find((r) => r.deviceId === device.id);
    expect(before?.todayKwh).toBe(2);
    // In America/New_York 01:30Z is 21:30 on the 14th: at 01:45Z still that (local) today.
    const res = await t.request('PATCH', `/api/devices/${device.id}`, {
      body: { timeZone: 'America/New_York' },
    });
    expect(res.status).toBe(200);
    await t.settle();
    const [row] = await t.db.sql<
      { ds: Date }[]
    >`select day_start as ds from device_live where device_id = ${device.id}`;
    expect(row!.ds.toISOString()).toBe('2026-06-14T04:00:00.000Z');
    const after = (await fleetSummary(t.db.sql, at)).top.find((r) => r.deviceId === device.id);
    expect(after?.todayKwh).toBe(2);
  });

  it('is for admins: 200 with the contract shape, 403 for a client, 401 without a token', async () => {
    const res = await t.request('GET', '/api/fleet/summary');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(
      [
        'alertsLast24h',
        'assigned',
        'devices',
        'liveKwh',
        'overLimitNow',
        'reporting',
        'silent',
        'todayKwh',
        'top',
      ].sort(),
    );
    const client = await t.createClient();
    expect((await t.request('GET', '/api/fleet/summary', { token: client.token })).status).toBe(403);
    expect((await t.request('GET', '/api/fleet/summary', { token: null })).status).toBe(401);
  });
});
