/**
 * Input rules at the edge (issue 10): a timestamp must name a real instant —
 * a round trip through the parsed date must give back what was written, so
 * V8's roll-over of 2026-02-30 into March is refused, as are hour 24 and
 * offsets beyond ±14:00 — and a value must be finite and at most 1e12 kWh.
 */
import { describe, expect, it } from 'vitest';
import { readingSchema } from './schema.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const schema = readingSchema(() => NOW);
const ID = '0b5a1b8e-7c4f-4f59-9a57-2a3f1f6d2c11';

function issues(timestamp: unknown, value: unknown = 1): string[] {
  const r = schema.safeParse({ deviceId: ID, timestamp, value });
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
}

describe('timestamps name a real instant', () => {
  it.each([
    '2026-02-30T10:00:00Z',
    '2026-02-29T10:00:00Z',
    '2026-04-31T10:00:00+02:00',
    '2026-13-01T10:00:00Z',
    '2026-00-10T10:00:00Z',
    '2026-05-00T10:00:00Z',
    '2026-05-10T24:00:00Z',
    '2026-05-10T23:60:00Z',
    '2026-05-10T23:59:60Z',
    '2026-05-10T10:00:00+23:59',
    '2026-05-10T10:00:00-14:01',
    '2026-05-10T10:00:00+14:60',
  ])('refuses %s', (ts) => {
    expect(issues(ts)).toEqual(['timestamp']);
  });

  it.each([
    ['2024-02-29T10:00:00Z', Date.UTC(2024, 1, 29, 10)],
    ['2026-05-10T10:00:00+14:00', Date.UTC(2026, 4, 9, 20)],
    ['2026-05-10T10:00:00-12:00', Date.UTC(2026, 4, 10, 22)],
    ['2026-05-10T10:00:00+0530', Date.UTC(2026, 4, 10, 4, 30)],
    ['2026-05-10T10:00Z', Date.UTC(2026, 4, 10, 10)],
    ['2026-05-10T10:00:00.123456789Z', Date.UTC(2026, 4, 10, 10, 0, 0, 123)],
    ['2026-05-10T23:59:59.999+00:00', Date.UTC(2026, 4, 10, 23, 59, 59, 999)],
  ])('accepts %s', (ts, expected) => {
    const r = schema.safeParse({ deviceId: ID, timestamp: ts, value: 1 });
    expect(r.success).toBe(true);
    expect(r.data?.ts).toBe(expected);
  });
});

describe('values are finite and at most 1e12 kWh', () => {
  it('refuses 1e300 and anything over 1e12, accepts 1e12', () => {
    const ts = NOW - 60_000;
    expect(issues(ts, 1e300)).toEqual(['value']);
    expect(issues(ts, 1e12 + 1)).toEqual(['value']);
    expect(issues(ts, 1e12)).toEqual([]);
    expect(issues(ts, 0)).toEqual([]);
  });
});
