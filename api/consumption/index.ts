/**
 * Consumption of one device: every local hour of a day (23, 24 or 25 of
 * them, zeros included), or a range by hour or by local day. Hours follow the
 * device's IANA zone; `tz` shows the same energy in another zone (computed
 * from the raw readings then, since hour boundaries may differ).
 */
import { z } from '@hono/zod-openapi';
import {
  canonicalTimeZone,
  dayHours,
  daysBetween,
  hourStartOf,
  hoursBetween,
  isValidLocalDate,
  isValidTimeZone,
  localDateOf,
} from '../../core/time.ts';
import { requireUser } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { Consumption } from '../contract.ts';
import { visibleDevice } from '../devices/repo.ts';
import { ApiError } from '../errors.ts';
import { errors, IdParam, json, newRouter, routeBuilder } from '../router.ts';
import { type Bucket, bucketEntries, nanoToKwh } from './buckets.ts';
import { priced } from './cost.ts';
import { storedBucketSums, storedHours, storedReadings } from './repo.ts';

const MAX_HOURS = 24 * 93;
const MAX_DAYS = 800;

/**
 * A range bound: ISO 8601 with an offset, or a plain YYYY-MM-DD (local midnight in the zone
 * shown). A '+' left unencoded in a query string arrives as a space; it is read back as '+'.
 */
const RangeBound = z.preprocess(
  (v) => (typeof v === 'string' ? v.replace(' ', '+') : v),
  z.union([
    z.iso.datetime({ offset: true }),
    z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be ISO 8601 or YYYY-MM-DD'),
  ]),
);

const Query = z
  .object({
    date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
      // An impossible day such as 2026-02-30 is the caller's mistake, not a 500.
      .refine(isValidLocalDate, 'must be a calendar date')
      .optional(),
    tz: z.string().max(64).refine(isValidTimeZone, 'must be an IANA time zone').optional(),
    from: RangeBound.optional(),
    to: RangeBound.optional(),
    interval: z.enum(['hour', 'day']).default('hour'),
  })
  .refine((q) => q.date || (q.from && q.to), { message: 'give either date, or from and to', path: ['date'] });

const route = routeBuilder(['consumption'])(
  'get',
  '/{id}/consumption',
  'Hourly consumption of a day, or of a range by hour or day',
  {
    request: { params: IdParam, query: Query },
    responses: { 200: json(Consumption, 'Consumption'), ...errors(400, 401, 403, 404) },
  },
);

export function consumptionRoutes(deps: AppDeps) {
  const app = newRouter();
  const { sql } = deps;

  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const device = await visibleDevice(sql, user, c.req.valid('param').id);
    const q = c.req.valid('query');
    const zone = q.tz === undefined ? device.timeZone : (canonicalTimeZone(q.tz) ?? q.tz);

    let buckets: Bucket[];
    let from: number;
    let to: number;
    if (q.date) {
      const starts = dayHours(q.date, zone);
      // A date the zone skipped (Pacific/Apia 2011-12-30) has no hours: 200, empty.
      if (starts.length === 0) return c.json(emptyDay(device, q.date, zone), 200);
      from = starts[0]!;
      to = starts[starts.length - 1]! + 3_600_000;
      buckets = starts.map((start, i) => ({ start, end: starts[i + 1] ?? to }));
    } else {
      from = boundOf(q.from!, zone, 'from');
      to = boundOf(q.to!, zone, 'to');
      if (!(to > from))
        throw new ApiError('invalid_request', '`to` must be after `from`', [
          { path: 'to', message: 'must be after from' },
        ]);
      const max = q.interval === 'day' ? MAX_DAYS : MAX_HOURS;
      // Refuse absurd ranges before walking them hour by hour (a century is ~900k hours).
      const roughCount = (to - from) / (q.interval === 'day' ? 86_400_000 : 3_600_000);
      const starts =
        roughCount > max + 2
          ? []
          : q.interval === 'day'
            ? daysBetween(from, to, zone)
            : hoursBetween(from, to, zone);
      if (roughCount > max + 2 || starts.length > max) {
        throw new ApiError('invalid_request', `Range too long: at most ${max} ${q.interval}s`, [
          { path: 'to', message: 'range too long' },
        ]);
      }
      buckets = starts.map((start, i) => ({ start, end: starts[i + 1] ?? Math.max(to, start + 1) }));
      if (q.interval === 'day' && buckets.length > 0) {
        const last = buckets[buckets.length - 1]!;
        last.end = nextLocalDay(last.start, zone);
      }
      from = buckets[0]?.start ?? from;
      to = buckets[buckets.length - 1]?.end ?? to;
    }

    // Without `tz`, the stored hourly rows (cut in the device's zone) are the answer. With
    // `tz`, the raw readings are bucketed instead: exact in any zone, :30 and :45 offsets
    // included, and the reference a zone change's re-bucketing must reproduce.
    const sameZone = q.tz === undefined;
    const rows = !sameZone
      ? await storedReadings(sql, device.id, from, to)
      : q.interval === 'day' && !q.date
        ? await storedBucketSums(sql, device.id, buckets)
        : await storedHours(sql, device.id, from, to);
    const entries = bucketEntries(
      buckets,
      rows.map((r) => ({
        at: sameZone ? r.t.getTime() : hourStartOf(r.t.getTime(), zone),
        kwh: r.kwh,
        readings: r.n,
        cost: r.cost,
      })),
      zone,
    );
    const totalKwh = entries.reduce((sum, e) => sum + e.kwhExact, 0n);
    const money = priced(entries, device.tariff?.currency ?? null);
    return c.json(
      {
        deviceId: device.id,
        ...(q.date
          ? { date: q.date }
          : { from: new Date(from).toISOString(), to: new Date(to).toISOString(), interval: q.interval }),
        timeZone: zone,
        unit: 'kWh' as const,
        maxHourlyKwh: device.maxHourlyKwh,
        totalKwh: nanoToKwh(totalKwh),
        currency: money.currency,
        totalCost: money.totalCost,
        hours: money.hours,
      },
      200,
    );
  });

  return app;
}

function emptyDay(
  device: { id: string; maxHourlyKwh: number; tariff: { currency: string } | null },
  date: string,
  zone: string,
) {
  return {
    deviceId: device.id,
    date,
    timeZone: zone,
    unit: 'kWh' as const,
    maxHourlyKwh: device.maxHourlyKwh,
    totalKwh: 0,
    currency: device.tariff?.currency ?? null,
    totalCost: device.tariff ? 0 : null,
    hours: [],
  };
}

/** An ISO instant, or a plain date read as local midnight in `zone`. */
function boundOf(value: string, zone: string, field: 'from' | 'to'): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return Date.parse(value);
  const hours = isValidLocalDate(value) ? dayHours(value, zone) : [];
  if (hours.length === 0) {
    throw new ApiError('invalid_request', `Invalid date ${value}`, [
      { path: field, message: 'not a calendar date' },
    ]);
  }
  return hours[0]!;
}

function nextLocalDay(dayStartTs: number, zone: string): number {
  const date = localDateOf(dayStartTs, zone);
  const hours = dayHours(date, zone);
  return hours[hours.length - 1]! + 3_600_000;
}
