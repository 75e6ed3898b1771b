/**
 * EMS_RAW_RETENTION_DAYS through the real api and runtime (real Postgres):
 * after retention dropped a month of raw readings its hours still answer in
 * the consumption view, and a reading older than the window is refused 422
 * `unprocessable` naming the item, nothing of its request stored; one inside
 * the window is accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maintainReadings } from '../../db/readings-partitions.ts';
import { type TestApp, testApp } from '../testing.ts';

const DAY = 86_400_000;
let t: TestApp;
beforeAll(async () => {
  t = await testApp({ runtime: true });
});
afterAll(() => t?.close());

const iso = (ms: number) => new Date(ms).toISOString();
const dateOf = (ms: number) => iso(ms).slice(0, 10);

async function dayTotal(id: string, ms: number): Promise<number> {
  const res = await t.request('GET', `/api/devices/${id}/consumption?date=${dateOf(ms)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { totalKwh: number }).totalKwh;
}

describe('raw retention', () => {
  it('keeps the hours of dropped months and refuses readings older than the window', async () => {
    const device = await t.createDevice({ meterKind: 'interval', timeZone: 'UTC' });
    const now = Date.now();
    const old = now - 100 * DAY;
    const post = (readings: Array<{ timestamp: string; value: number }>) =>
      t.request('POST', '/api/readings', {
        body: { readings: readings.map((r) => ({ deviceId: device.id, ...r })) },
      });

    expect(
      (
        await post([
          { timestamp: iso(old), value: 1.5 },
          { timestamp: iso(now - 60_000), value: 0.25 },
        ])
      ).status,
    ).toBe(202);
    await t.settle();
    const [before] = await t.db.sql<
      { n: number }[]
    >`select count(*)::int as n from readings where device_id = ${device.id}`;
    expect(before!.n).toBe(2);

    // The reading 100 days old waited in the default partition; maintenance gives it its month,
    // then retention drops that month.
    expect((await maintainReadings({ sql: t.db.sql }, now)).created).toBeGreaterThan(0);
    expect((await maintainReadings({ sql: t.db.sql, retentionDays: 30 }, now)).dropped).toBeGreaterThan(0);
    const [after] = await t.db.sql<
      { n: number }[]
    >`select count(*)::int as n from readings where device_id = ${device.id}`;
    expect(after!.n).toBe(1);
    expect(await dayTotal(device.id, old)).toBe(1.5);

    t.deps.rawRetentionDays = 30;
    try {
      const res = await post([
        { timestamp: iso(now - 29 * DAY), value: 2 },
        { timestamp: iso(old), value: 1.5 },
      ]);
      expect(res.status).toBe(422);
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown[] } };
      expect(body.error.code).toBe('unprocessable');
      expect(body.error.message).toMatch(/older than the raw retention window of 30 days/);
      expect(body.error.details).toEqual([{ path: 'readings.1.timestamp', message: expect.any(String) }]);
      await t.settle();
      expect(await dayTotal(device.id, old)).toBe(1.5); // not counted twice
      expect(await dayTotal(device.id, now - 29 * DAY)).toBe(0); // nothing of the refused request

      expect((await post([{ timestamp: iso(now - 29 * DAY), value: 2 }])).status).toBe(202);
      await t.settle();
      expect(await dayTotal(device.id, now - 29 * DAY)).toBe(2);
    } finally {
      t.deps.rawRetentionDays = undefined;
    }
  });
});
