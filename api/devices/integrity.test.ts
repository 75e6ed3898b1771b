/**
 * Device edits that must not rewrite history (issue 10): the zone is stored
 * in its canonical spelling (and a migration fixes rows stored as typed), and
 * the meter kind is immutable once the device has readings (409 conflict),
 * because stored readings are never reinterpreted.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../testing-hooks.ts';

const t = useTestApp({ runtime: true });

describe('time zone spelling', () => {
  it('stores the canonical spelling on create and on update', async () => {
    const device = await t.createDevice({ timeZone: 'europe/bucharest' });
    expect(device.timeZone).toBe('Europe/Bucharest');
    const res = await t.request('PATCH', `/api/devices/${device.id}`, { body: { timeZone: 'utc' } });
    expect(res.status).toBe(200);
    expect((await res.json()).timeZone).toBe('UTC');
    const [row] = await t.db.sql<
      { tz: string }[]
    >`select time_zone as tz from devices where id = ${device.id}`;
    expect(row!.tz).toBe('UTC');
  });

  it('has a migration that canonicalises zones stored as typed', async () => {
    const device = await t.createDevice({ timeZone: 'UTC' });
    await t.db.sql`update devices set time_zone = 'europe/bucharest' where id = ${device.id}`;
    const migration = readFileSync(
      new URL('../../db/migrations/010_canonical_time_zones.sql', import.meta.url),
      'utf8',
    );
    await t.db.sql.unsafe(migration);
    const [row] = await t.db.sql<
      { tz: string }[]
    >`select time_zone as tz from devices where id = ${device.id}`;
    expect(row!.tz).toBe('Europe/Bucharest');
  });
});

describe('meter kind', () => {
  it('can change while the device has no readings', async () => {
    const device = await t.createDevice({ meterKind: 'cumulative' });
    const res = await t.request('PATCH', `/api/devices/${device.id}`, { body: { meterKind: 'interval' } });
    expect(res.status).toBe(200);
    expect((await res.json()).meterKind).toBe('interval');
  });

  it('is immutable once the device has readings: 409 conflict naming why, nothing changed', async () => {
    const device = await t.createDevice({ meterKind: 'cumulative' });
    const post = await t.request('POST', '/api/readings', {
      body: { readings: [{ deviceId: device.id, timestamp: Date.now() - 60_000, value: 100 }] },
    });
    expect(post.status).toBe(202);
    await t.settle();
    const res = await t.request('PATCH', `/api/devices/${device.id}`, {
      body: { meterKind: 'interval', name: 'Renamed' },
    });
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.error.code).toBe('conflict');
    expect(body.error.message).toMatch(/meter kind/i);
    expect(body.error.details).toEqual([{ path: 'meterKind', message: expect.stringMatching(/new device/) }]);
    const get = await (await t.request('GET', `/api/devices/${device.id}`)).json();
    expect(get).toMatchObject({ meterKind: 'cumulative', name: 'Heater' });
    // Sending the same kind again is not a change.
    const same = await t.request('PATCH', `/api/devices/${device.id}`, { body: { meterKind: 'cumulative' } });
    expect(same.status).toBe(200);
  });
});

describe('a configuration change that cannot be queued', () => {
  it('answers 503 (not 500), keeps the old configuration in force, and applies on retry', async () => {
    const device = await t.createDevice({ maxHourlyKwh: 3 });
    const producer = t.deps.producer;
    t.deps.producer = { ...producer, addBulk: async () => Promise.reject(new Error('redis down')) };
    try {
      const res = await t.request('PATCH', `/api/devices/${device.id}`, { body: { maxHourlyKwh: 7 } });
      expect(res.status).toBe(503);
      expect((await res.json()).error.code).toBe('unavailable');
    } finally {
      t.deps.producer = producer;
    }
    const applied = async () =>
      (
        await t.db.sql<{ c: { maxHourlyKwh: number } | null }[]>`
        select applied_config as c from devices where id = ${device.id}`
      )[0]!.c;
    expect((await applied())?.maxHourlyKwh).toBe(3);
    const retry = await t.request('PATCH', `/api/devices/${device.id}`, { body: { maxHourlyKwh: 7 } });
    expect(retry.status).toBe(200);
    await t.settle();
    expect((await applied())?.maxHourlyKwh).toBe(7);
  });
});
