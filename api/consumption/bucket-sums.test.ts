/**
 * Range views by day sum the hourly rows in Postgres (repo.ts storedBucketSums)
 * instead of parsing every row: the entries must equal, to the last nano-kWh
 * and cost digit, those summed in JS from the hourly rows themselves — across
 * DST days (23 and 25 hours), a :45 zone, unpriced and half-priced days, and
 * days with no rows.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysBetween } from '../../core/time.ts';
import { type TestDb, testDatabase } from '../../db/testing.ts';
import { bucketEntries } from './buckets.ts';
import { storedBucketSums, storedHours } from './repo.ts';

let db: TestDb;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db?.close());

describe('storedBucketSums', () => {
  it.each(['Europe/Berlin', 'Asia/Kathmandu', 'Australia/Eucla'])(
    'equals the JS sum of the hourly rows (%s)',
    async (zone) => {
      const id = randomUUID();
      await db.sql`insert into devices (id, name, max_hourly_kwh, meter_kind, time_zone)
      values (${id}, 'meter', 5, 'interval', ${zone})`;
      // Hours of 2026-03-20 .. 2026-04-10 and 2026-10-20 .. 2026-11-05 (both DST changes in Berlin),
      // odd energies with 9 decimals, a price on two hours of three, and a gap of a few days.
      await db.sql`insert into hourly (device_id, hour_start, kwh, readings, cost)
      select ${id}, h, round((random() * 3)::numeric, 9), 1 + (random() * 5)::int,
        case when extract(hour from h)::int % 3 <> 0 then round((random() * 3)::numeric, 9) * 0.3127 end
      from generate_series(timestamptz '2026-03-20 00:15:00+00', timestamptz '2026-11-05 00:00:00+00', interval '1 hour') as h
      where h not between timestamptz '2026-06-01 00:00:00+00' and timestamptz '2026-06-04 00:00:00+00'`;
      const from = Date.parse('2026-03-15T00:00:00Z');
      const to = Date.parse('2026-11-10T00:00:00Z');
      const starts = daysBetween(from, to, zone);
      const buckets = starts.map((start, i) => ({ start, end: starts[i + 1] ?? to }));
      const toEntries = (rows: Awaited<ReturnType<typeof storedHours>>) =>
        bucketEntries(
          buckets,
          rows.map((r) => ({ at: r.t.getTime(), kwh: r.kwh, readings: r.n, cost: r.cost })),
          zone,
        );
      const bySql = toEntries(await storedBucketSums(db.sql, id, buckets));
      const byJs = toEntries(await storedHours(db.sql, id, buckets[0]!.start, buckets.at(-1)!.end));
      expect(bySql).toEqual(byJs);
      expect(byJs.filter((e) => e.readings > 0).length).toBeGreaterThan(150);
      expect(byJs.some((e) => e.costExact === null)).toBe(true);
    },
  );
});
