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

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

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
    let ts = Number.NaN;
    if (typeof r.timestamp === 'number') ts = r.timestamp;
    else if (ISO_WITH_OFFSET.test(r.timestamp)) ts = Date.parse(r.timestamp);
    if (!Number.isFinite(ts)) {
      ctx.addIssue({
        code: 'custom',
        path: ['timestamp'],
        message: 'must be ISO 8601 with an offset, or epoch milliseconds',
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
