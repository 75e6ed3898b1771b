/**
 * Devices through the HTTP API: admin CRUD, filters, what a client may see
 * (its own; another client's device is a 404) and may not do (403), field
 * validation, and ingest tokens that post readings for their device only.
 */
import { describe, expect, it } from 'vitest';
import { testApp } from '../testing.ts';
import { useTestApp } from '../testing-hooks.ts';
import { anIssuedIngestToken } from '../testing-matchers.ts';

const t = useTestApp();

const ids = (list: { items: Array<{ id: string }> }) => list.items.map((d) => d.id).sort();

describe('devices CRUD (admin)', () => {
  it('creates with defaults, reads, updates and deletes a device', async () => {
    const res = await t.request('POST', '/api/devices', { body: { name: 'Boiler', maxHourlyKwh: 3.5 } });
    expect(res.status).toBe(201);
    const device = await res.json();
    expect(device).toEqual({
      id: expect.any(String),
      name: 'Boiler',
      description: '',
      address: '',
      maxHourlyKwh: 3.5,
      meterKind: 'interval',
      timeZone: 'UTC',
      ownerId: null,
      tariff: null,
      createdAt: expect.any(String),
      mqttTopic: null,
      mqttFormat: null,
      silentAfterMinutes: null,
    });
    expect(await (await t.request('GET', `/api/devices/${device.id}`)).json()).toEqual(device);

    const patched = await t.request('PATCH', `/api/devices/${device.id}`, {
      body: {
        maxHourlyKwh: 1.25,
        timeZone: 'Europe/Bucharest',
        meterKind: 'cumulative',
        address: 'Str. X 1',
      },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toEqual({
      ...device,
      maxHourlyKwh: 1.25,
      timeZone: 'Europe/Bucharest',
      meterKind: 'cumulative',
      address: 'Str. X 1',
    });

    const del = await t.request('DELETE', `/api/devices/${device.id}`);
    expect(del.status).toBe(204);
    const gone = await t.request('GET', `/api/devices/${device.id}`);
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.code).toBe('not_found');
    expect((await t.request('DELETE', `/api/devices/${device.id}`)).status).toBe(404);
  });

  it('assigns with ownerId and unassigns with ownerId: null', async () => {
    const client = await t.createClient();
    const device = await t.createDevice();
    const assigned = await t.request('PATCH', `/api/devices/${device.id}`, { body: { ownerId: client.id } });
    expect((await assigned.json()).ownerId).toBe(client.id);
    const unassigned = await t.request('PATCH', `/api/devices/${device.id}`, { body: { ownerId: null } });
    expect((await unassigned.json()).ownerId).toBeNull();
  });

  it('refuses an unknown owner with 422 (create and update)', async () => {
    const ownerId = '00000000-0000-4000-8000-00000000abcd';
    const create = await t.request('POST', '/api/devices', { body: { name: 'X', maxHourlyKwh: 1, ownerId } });
    expect(create.status).toBe(422);
    const err = (await create.json()).error;
    expect(err.code).toBe('unprocessable');
    expect(err.details).toEqual([{ path: 'ownerId', message: expect.any(String) }]);
    const device = await t.createDevice();
    const update = await t.request('PATCH', `/api/devices/${device.id}`, { body: { ownerId } });
    expect(update.status).toBe(422);
    expect((await (await t.request('GET', `/api/devices/${device.id}`)).json()).ownerId).toBeNull();
  });

  it('validates: IANA time zone, positive limit, meter kind, name', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'A', maxHourlyKwh: 1, timeZone: 'Mars/Olympus' }, 'timeZone'],
      [{ name: 'A', maxHourlyKwh: 0 }, 'maxHourlyKwh'],
      [{ name: 'A', maxHourlyKwh: -2 }, 'maxHourlyKwh'],
      [{ name: 'A', maxHourlyKwh: '2' }, 'maxHourlyKwh'],
      [{ name: 'A', maxHourlyKwh: 1, meterKind: 'smart' }, 'meterKind'],
      [{ name: '  ', maxHourlyKwh: 1 }, 'name'],
      [{ maxHourlyKwh: 1 }, 'name'],
    ];
    for (const [body, path] of cases) {
      const res = await t.request('POST', '/api/devices', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = (await res.json()).error;
      expect(err.code).toBe('invalid_request');
      expect(
        err.details.map((d: { path: string }) => d.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    const device = await t.createDevice();
    const bad = await t.request('PATCH', `/api/devices/${device.id}`, { body: { timeZone: 'Mars/Olympus' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.details[0].path).toBe('timeZone');
    const zero = await t.request('PATCH', `/api/devices/${device.id}`, { body: { maxHourlyKwh: 0 } });
    expect(zero.status).toBe(400);
    expect((await (await t.request('GET', `/api/devices/${device.id}`)).json()).maxHourlyKwh).toBe(2);
  });

  it('uses the configured default time zone for new devices', async () => {
    const other = await testApp({ deps: { defaultTimeZone: 'Asia/Kathmandu' } });
    try {
      const res = await other.request('POST', '/api/devices', { body: { name: 'K', maxHourlyKwh: 1 } });
      expect((await res.json()).timeZone).toBe('Asia/Kathmandu');
    } finally {
      await other.close();
    }
  });
});

describe('GET /api/devices filters and visibility', () => {
  it('filters by ownerId and unassigned for admins; clients see only their own', async () => {
    const alice = await t.createClient();
    const bob = await t.createClient();
    const a1 = await t.createDevice({ name: 'A1', ownerId: alice.id });
    const a2 = await t.createDevice({ name: 'A2', ownerId: alice.id });
    const b1 = await t.createDevice({ name: 'B1', ownerId: bob.id });

    const byOwner = await (await t.request('GET', `/api/devices?ownerId=${alice.id}`)).json();
    expect(byOwner.total).toBe(2);
    expect(ids(byOwner)).toEqual([a1.id, a2.id].sort());

    const unassigned = await (await t.request('GET', '/api/devices?unassigned=true&limit=500')).json();
    expect(unassigned.items.every((d: { ownerId: string | null }) => d.ownerId === null)).toBe(true);
    expect(ids(unassigned)).not.toContain(a1.id);

    const all = await (await t.request('GET', '/api/devices?limit=500')).json();
    expect(all.total).toBeGreaterThan(unassigned.total);

    const mine = await (await t.request('GET', '/api/devices', { token: alice.token })).json();
    expect(mine.total).toBe(2);
    expect(ids(mine)).toEqual([a1.id, a2.id].sort());
    // A client cannot widen its view with ownerId.
    const sneaky = await (
      await t.request('GET', `/api/devices?ownerId=${bob.id}`, { token: alice.token })
    ).json();
    expect(ids(sneaky)).toEqual([a1.id, a2.id].sort());

    expect((await t.request('GET', `/api/devices/${a1.id}`, { token: alice.token })).status).toBe(200);
    const other = await t.request('GET', `/api/devices/${b1.id}`, { token: alice.token });
    expect(other.status).toBe(404);
    expect((await other.json()).error.code).toBe('not_found');
  });

  it('pages with limit and offset; limit=501 is 400', async () => {
    const owner = await t.createClient();
    for (const name of ['P1', 'P2', 'P3']) await t.createDevice({ name, ownerId: owner.id });
    const page = await (await t.request('GET', `/api/devices?ownerId=${owner.id}&limit=2&offset=2`)).json();
    expect(page.total).toBe(3);
    expect(page.items.map((d: { name: string }) => d.name)).toEqual(['P3']);
    expect(Object.keys(page.items[0])).not.toContain('total');
    // Past the end: no items, and still the total (page and count come from one statement).
    const past = await (await t.request('GET', `/api/devices?ownerId=${owner.id}&limit=2&offset=5`)).json();
    expect(past).toEqual({ items: [], total: 3 });
    const none = await (await t.request('GET', `/api/devices?q=no-such-device-name`)).json();
    expect(none).toEqual({ items: [], total: 0 });
    const res = await t.request('GET', '/api/devices?limit=501');
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_request');
  });

  it('forbids clients to create, update, delete or issue tokens (403)', async () => {
    const client = await t.createClient();
    const own = await t.createDevice({ ownerId: client.id });
    const calls: Array<[string, string, unknown?]> = [
      ['POST', '/api/devices', { name: 'Mine', maxHourlyKwh: 1 }],
      ['PATCH', `/api/devices/${own.id}`, { maxHourlyKwh: 100 }],
      ['DELETE', `/api/devices/${own.id}`],
      ['POST', `/api/devices/${own.id}/tokens`],
    ];
    for (const [method, path, body] of calls) {
      const res = await t.request(method, path, { token: client.token, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await res.json()).error.code).toBe('forbidden');
    }
    expect((await (await t.request('GET', `/api/devices/${own.id}`)).json()).maxHourlyKwh).toBe(2);
  });
});

describe('ingest tokens', () => {
  it('issues 201 {id, name, token, createdAt}; the token posts readings for its device only', async () => {
    const device = await t.createDevice();
    const other = await t.createDevice();
    const res = await t.request('POST', `/api/devices/${device.id}/tokens`);
    expect(res.status).toBe(201);
    const issued = await res.json();
    expect(issued).toEqual({ ...anIssuedIngestToken(''), createdAt: expect.any(String) });

    const reading = (deviceId: string) => ({
      readings: [{ deviceId, timestamp: Date.now() - 60_000, value: 0.1 }],
    });
    const ok = await t.request('POST', '/api/readings', { token: issued.token, body: reading(device.id) });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ accepted: 1 });

    const foreign = await t.request('POST', '/api/readings', {
      token: issued.token,
      body: reading(other.id),
    });
    expect(foreign.status).toBe(403);
    expect((await foreign.json()).error.code).toBe('forbidden');

    const list = await t.request('GET', '/api/devices', { token: issued.token });
    expect(list.status).toBe(401);
    expect((await list.json()).error.code).toBe('unauthorized');
  });

  it('answers 404 for a token of an unknown device', async () => {
    const res = await t.request('POST', '/api/devices/00000000-0000-4000-8000-000000000001/tokens');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});
