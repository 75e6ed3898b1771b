/**
 * The body of POST /api/readings, shared with the simulator's direct-to-queue
 * mode so both refuse exactly the same input. Items accept the classic field
 * names `device_id` and `measurement_value` as aliases.
 */
import { z } from '@hono/zod-openapi';

export const MAX_READINGS_PER_REQUEST = 5000;
/** Readings further in the future than this are refused (clock skew allowance). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Earliest accepted timestamp: 2000-01-01, to catch seconds-vs-milliseconds mistakes. */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);

/** Largest accepted value, in kWh: beyond any real meter, small enough that sums stay exact. */
export const MAX_VALUE_KWH = 1e12;
/** Real UTC offsets lie within ±14:00 (Pacific/Kiritimati). */
const MAX_OFFSET_MINUTES = 14 * 60;

const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Epoch ms of an ISO 8601 instant with an offset, or NaN unless it names a real
 * instant. `Date.parse` rolls impossible dates over (2026-02-30 becomes March 2) and
 * takes hour 24 and any two-digit offset, so the fields are checked here and the
 * parsed date must give every calendar field back (round trip).
 */
export function parseIsoInstant(text: string): number {
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  if (h > 23 || mi > 59 || s > 59) return Number.NaN;
  let offset = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (om > 59 || oh * 60 + om > MAX_OFFSET_MINUTES) return Number.NaN;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  local.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  if (local.getUTCFullYear() !== y || local.getUTCMonth() !== mo - 1 || local.getUTCDate() !== d) {
    return Number.NaN;
  }
  return local.getTime() - offset * 60_000;
}

const RawReading = z
  .object({
    deviceId: z.uuid().optional(),
    device_id: z.uuid().optional().openapi({ description: 'Alias of deviceId' }),
    timestamp: z.union([
      z.string().max(40).openapi({ description: 'ISO 8601 with an offset, e.g. 2026-03-29T10:00:00+03:00' }),
      z.number().int().openapi({ description: 'Epoch milliseconds' }),
    ]),
    value: z.number().optional(),
    measurement_value: z.number().optional().openapi({ description: 'Alias of value' }),
  })
  .strict();

export interface Reading {
  deviceId: string;
  ts: number;
  value: number;
}

export function readingSchema(now: () => number = Date.now) {
  return RawReading.transform((r, ctx): Reading => {
    const deviceId = r.deviceId ?? r.device_id;
    if (!deviceId) ctx.addIssue({ code: 'custom', path: ['deviceId'], message: 'deviceId is required' });
    const value = r.value ?? r.measurement_value;
    if (value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'value is required' });
    else if (!Number.isFinite(value) || value < 0)
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be a finite number ≥ 0' });
    else if (value > MAX_VALUE_KWH)
      ctx.addIssue({ code: 'custom', path: ['value'], message: `must be at most ${MAX_VALUE_KWH} kWh` });
    let ts = Number.NaN;
    if (typeof r.timestamp === 'number') ts = r.timestamp;
    else ts = parseIsoInstant(r.timestamp);
    if (!Number.isFinite(ts)) {
      ctx.addIssue({
        code: 'custom',
        path: ['timestamp'],
        message:
          'must be a real instant: ISO 8601 with an offset within ±14:00 (hour ≤ 23, a calendar date), or epoch milliseconds',
      });
    } else if (ts < MIN_TIMESTAMP_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['timestamp'],
        message: 'is before 2000-01-01 (seconds instead of milliseconds?)',
      });
    } else if (ts > now() + MAX_FUTURE_SKEW_MS) {
      ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'is in the future' });
    }
    return { deviceId: deviceId ?? '', ts, value: value ?? 0 };
  });
}

export const ReadingsBody = z
  .object({
    readings: z.array(readingSchema()).min(1).max(MAX_READINGS_PER_REQUEST),
  })
  .strict()
  .openapi('PostReadings');
