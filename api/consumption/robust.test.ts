/**
 * A stored reading can never make a read endpoint fail (issue 10): a huge
 * stored energy (1e300 kWh, from before values were capped at 1e12) still
 * answers 200 for the day, range and `tz=` views, and a local date that the
 * zone skipped (Pacific/Apia, 2011-12-30) answers 200 with no hours.
 */
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../testing-hooks.ts';
import { nanoOf, nanoToKwh } from './buckets.ts';

const t = useTestApp();

describe('nano-kWh arithmetic', () => {
  it('parses numeric strings exactly and never throws on huge or odd values', () => {
    expect(nanoOf('0.15')).toBe(150_000_000n);
    expect(nanoOf('12345678901.123456789')).toBe(12_345_678_901_123_456_789n);
    expect(nanoOf('1e300')).toBe(10n ** 309n);
    expect(nanoOf(1e300)).toBe(10n ** 309n);
    expect(nanoOf(0.1 + 0.2)).toBe(300_000_000n);
    expect(nanoOf('0.0000000005')).toBe(1n);
    expect(nanoOf('-0.0000000005')).toBe(-1n);
    expect(nanoOf(Number.POSITIVE_INFINITY)).toBe(0n);
    expect(nanoOf('NaN')).toBe(0n);
    expect(nanoToKwh(10n ** 400n)).toBe(Number.MAX_VALUE);
    expect(nanoToKwh(1_500_000_000n)).toBe(1.5);
  });
});

describe('read endpoints with hostile stored values', () => {
  it('answers 200 for a day holding a 1e300 kWh reading, in the device zone and with tz=', async () => {
    const device = await t.createDevice({ timeZone: 'UTC' });
    const ts = new Date('2026-03-10T10:00:00Z');
    await t.db
      .sql`insert into readings (device_id, ts, value, kwh) values (${device.id}, ${ts}, 1e300, '1e300'::numeric)`;
    await t.db
      .sql`insert into hourly (device_id, hour_start, kwh, readings) values (${device.id}, ${ts}, '1e300'::numeric, 1)`;
    for (const q of [
      'date=2026-03-10',
      'date=2026-03-10&tz=Asia/Kolkata',
      'from=2026-03-01&to=2026-03-20&interval=day',
    ]) {
      const res = await t.request('GET', `/api/devices/${device.id}/consumption?${q}`);
      expect(res.status, q).toBe(200);
      const body = await res.json();
      expect(body.totalKwh, q).toBe(1e300);
    }
  });

  it('answers 200 with no hours for the day Samoa skipped (Pacific/Apia 2011-12-30)', async () => {
    const device = await t.createDevice({ timeZone: 'Pacific/Apia' });
    const res = await t.request('GET', `/api/devices/${device.id}/consumption?date=2011-12-30`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.hours).toEqual([]);
    expect(body.totalKwh).toBe(0);
    const next = await t.request('GET', `/api/devices/${device.id}/consumption?date=2011-12-31`);
    expect(next.status).toBe(200);
    expect((await next.json()).hours).toHaveLength(24);
  });
});
