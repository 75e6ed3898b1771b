import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Device } from '../../../api/contract.ts';
import { aDevice } from '../test-data.ts';
import { apiError, fakeFetch, queryOf, raceSearches } from '../test-fetch.ts';
import { useDevices } from './devices.ts';

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => vi.unstubAllGlobals());

const live = (deviceId: string, kwh: number, at: string) => ({
  deviceId,
  hourStart: '2026-07-01T10:00:00Z',
  kwh,
  rolling60Kwh: kwh,
  projectedKwh: kwh,
  at,
});

/**
 * Loads the user's one device, whose local day `date` the server answers with these hours,
 * and seeds the open hours at `now` from it.
 */
async function seedFromDay(
  device: Device,
  now: number,
  date: string,
  hours: { start: string; kwh: number; readings: number }[],
) {
  const totalKwh = Math.round(hours.reduce((sum, h) => sum + h.kwh, 0) * 1000) / 1000;
  const { id: deviceId, timeZone, maxHourlyKwh } = device;
  const fake = fakeFetch({
    'GET /api/devices': () => ({ body: { items: [device], total: 1 } }),
    'GET /api/devices/:id/consumption': () => ({
      body: { deviceId, date, timeZone, unit: 'kWh', maxHourlyKwh, totalKwh, hours },
    }),
  });
  const devices = useDevices();
  await devices.fetchAll();
  await devices.seedOpenHours(now);
  return { fake, devices };
}

describe('devices store', () => {
  it('assigns and unassigns by patching ownerId', async () => {
    const d = aDevice();
    const fake = fakeFetch({
      'GET /api/devices': () => ({ body: { items: [d], total: 1 } }),
      'PATCH /api/devices/:id': (call) => ({ body: { ...d, ...(call.body as object) } }),
    });
    const devices = useDevices();
    await devices.fetchAll();
    await devices.update(d.id, { ownerId: 'owner-1' });
    expect(devices.ownedBy('owner-1').map((x) => x.id)).toEqual([d.id]);
    await devices.update(d.id, { ownerId: null });
    expect(fake.calls.at(-1)?.body).toEqual({ ownerId: null });
    expect(devices.byId[d.id]?.ownerId).toBeNull();
  });

  it('keeps the newest live total when events arrive out of order', () => {
    const devices = useDevices();
    devices.applyLive(live('d1', 1.5, '2026-07-01T10:20:00Z'));
    devices.applyLive(live('d1', 1.1, '2026-07-01T10:10:00Z'));
    expect(devices.live.d1?.kwh).toBe(1.5);
    devices.applyLive(live('d1', 1.9, '2026-07-01T12:30:00+02:00'));
    expect(devices.live.d1?.kwh).toBe(1.9);
  });

  it('follows device:updated and device:deleted pushes', () => {
    const devices = useDevices();
    const d = aDevice({ name: 'Old' });
    devices.upsert(d);
    devices.upsert({ ...d, name: 'New' });
    expect(devices.items.map((x) => x.name)).toEqual(['New']);
    devices.applyLive(live(d.id, 1, '2026-07-01T10:20:00Z'));
    devices.forget(d.id);
    expect(devices.items).toEqual([]);
    expect(devices.live[d.id]).toBeUndefined();
  });

  it('shows an error state when the list cannot load', async () => {
    fakeFetch({ 'GET /api/devices': () => apiError(500, 'internal', 'Internal error') });
    await useDevices().fetchAll();
    expect([useDevices().error, useDevices().loaded]).toEqual(['Internal error', false]);
  });

  it("reads the open hour from today's consumption before any live push", async () => {
    const d = aDevice({ timeZone: 'Asia/Kolkata' });
    const now = Date.parse('2026-07-01T10:40:00Z'); // 16:10 in Kolkata
    const { fake, devices } = await seedFromDay(d, now, '2026-07-01', [
      { start: '2026-07-01T09:30:00.000Z', kwh: 1.2, readings: 4 },
      { start: '2026-07-01T10:30:00.000Z', kwh: 0.5, readings: 1 },
    ]);
    expect(fake.last(`GET /api/devices/${d.id}/consumption`)?.query.get('date')).toBe('2026-07-01');
    expect(devices.hourSoFar[d.id]).toEqual({ hourStart: '2026-07-01T10:30:00.000Z', kwh: 0.5 });
  });

  it("finds the open hour on the zone's own boundaries after a 30-minute DST shift", async () => {
    // Australia/Lord_Howe, 2026-10-04: 02:00 (+10:30) jumps to 02:30 (+11:00), so the
    // hour from 02:30 lasts 30 minutes and 03:00 local (16:00Z) starts the next one.
    const d = aDevice({ timeZone: 'Australia/Lord_Howe' });
    const now = Date.parse('2026-10-03T16:15:00Z'); // 03:15 local
    const { devices } = await seedFromDay(d, now, '2026-10-04', [
      { start: '2026-10-03T15:30:00.000Z', kwh: 0.4, readings: 2 },
      { start: '2026-10-03T16:00:00.000Z', kwh: 0.2, readings: 1 },
    ]);
    expect(devices.hourSoFar[d.id]).toEqual({ hourStart: '2026-10-03T16:00:00.000Z', kwh: 0.2 });
  });

  it('pages and searches the admin list on the server and reports its total', async () => {
    const fake = fakeFetch({
      'GET /api/devices': () => ({ body: { items: [aDevice()], total: 2000 } }),
    });
    const devices = useDevices();
    await devices.fetchPage();
    expect(queryOf(fake.calls[0])).toMatchObject({ limit: '50', offset: '0' });
    expect([devices.total, devices.pageCount]).toEqual([2000, 40]);

    await devices.goToPage(3);
    expect(queryOf(fake.calls[1])).toMatchObject({ offset: '150' });
    await devices.setSearch('  Kitchen ');
    expect(queryOf(fake.calls[2])).toEqual({ limit: '50', offset: '0', q: 'Kitchen' });
    await devices.setUnassignedOnly(true);
    expect(queryOf(fake.calls[3])).toMatchObject({ unassigned: 'true', q: 'Kitchen' });
    await devices.goToPage(99);
    expect(devices.page).toBe(39);
  });

  it('ignores an older page answer that arrives after a newer one', async () => {
    const [kiosk, kitchen] = [aDevice({ name: 'Kiosk' }), aDevice({ name: 'Kitchen' })];
    const devices = useDevices();
    await raceSearches(devices, '/api/devices', ['k', 'kit'], { late: [kiosk, kitchen], current: [kitchen] });
    expect([devices.pageItems, devices.total, devices.pageLoading]).toEqual([[kitchen], 1, false]);
  });

  it("asks for the server's largest page for a user's own devices", async () => {
    const fake = fakeFetch({ 'GET /api/devices': () => ({ body: { items: [], total: 0 } }) });
    await useDevices().fetchAll();
    expect(fake.calls[0]?.query.get('limit')).toBe('500');
  });

  it('keeps the visible page and its total in step with edits and deletions', async () => {
    const a = aDevice({ name: 'A' });
    const b = aDevice({ name: 'B' });
    fakeFetch({ 'GET /api/devices': () => ({ body: { items: [a, b], total: 120 } }) });
    const devices = useDevices();
    await devices.fetchPage();
    devices.upsert({ ...a, ownerId: 'owner-1' });
    expect(devices.pageItems.map((d) => d.ownerId)).toEqual(['owner-1', b.ownerId]);
    devices.forget(b.id);
    expect(devices.pageItems.map((d) => d.name)).toEqual(['A']);
    expect(devices.total).toBe(119);
  });
});
