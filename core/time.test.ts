// Local hours and days in real IANA zones: DST days of 23 and 25 hours, :30 and :45
// offsets, a 30-minute DST shift, and a brute-force oracle built on Intl's own offset
// names so the cached arithmetic is checked against something it does not share.
import { describe, expect, it } from 'vitest';
import {
  addDays,
  canonicalTimeZone,
  dayHours,
  dayStart,
  daysBetween,
  formatIsoWithOffset,
  hourEndOf,
  hourStartOf,
  hoursBetween,
  isValidLocalDate,
  isValidTimeZone,
  localDateOf,
  nextDayStart,
  zoneOffsetMs,
} from './time.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const utc = (iso: string) => Date.parse(iso);
const isoHours = (date: string, zone: string) =>
  dayHours(date, zone).map((h) => formatIsoWithOffset(h, zone));

/** (local date, local hour, offset name) from Intl directly: two instants share a local hour iff equal. */
const oracleFormats = new Map<string, Intl.DateTimeFormat>();
function oracleKey(ts: number, zone: string): string {
  let format = oracleFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      timeZoneName: 'longOffset',
    });
    oracleFormats.set(zone, format);
  }
  return format.format(ts);
}

/** Brute force: walk back minute by minute, then millisecond by halving, while the key holds. */
function oracleHourStart(ts: number, zone: string): number {
  const key = oracleKey(ts, zone);
  let inside = ts;
  while (oracleKey(inside - MINUTE, zone) === key) inside -= MINUTE;
  let outside = inside - MINUTE;
  while (inside - outside > 1) {
    const mid = Math.floor((inside + outside) / 2);
    if (oracleKey(mid, zone) === key) inside = mid;
    else outside = mid;
  }
  return inside;
}

describe('isValidTimeZone', () => {
  it.each(['UTC', 'Etc/UTC', 'Europe/Bucharest', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York'])(
    'accepts %s',
    (zone) => expect(isValidTimeZone(zone)).toBe(true),
  );

  it.each([
    '',
    'garbage',
    'Europe/Nowhere',
    'Mars/Olympus_Mons',
    '+03:00',
    '-05:00',
    'UTC/Bucharest',
    ' UTC',
  ])('refuses %j', (zone) => expect(isValidTimeZone(zone)).toBe(false));

  it('gives the canonical spelling of aliases and odd case, null for garbage', () => {
    expect(canonicalTimeZone('europe/bucharest')).toBe('Europe/Bucharest');
    expect(canonicalTimeZone('US/Eastern')).toBe('America/New_York');
    expect(canonicalTimeZone('nope')).toBeNull();
    expect(canonicalTimeZone('utc')).toBe('UTC');
    expect(canonicalTimeZone('Asia/Kathmandu')).toBe('Asia/Kathmandu');
    expect(canonicalTimeZone('asia/kathmandu')).toBe('Asia/Kathmandu');
    expect(canonicalTimeZone('Europe/Kyiv')).toBe('Europe/Kyiv');
    expect(canonicalTimeZone('america/port-au-prince')).toBe('America/Port-au-Prince');
    expect(canonicalTimeZone('ASIA/KOLKATA')).toBe('Asia/Kolkata');
  });

  it('makes every zone-taking function throw a RangeError for an unknown zone', () => {
    expect(() => hourStartOf(0, 'Europe/Nowhere')).toThrow(RangeError);
    expect(() => dayHours('2026-01-01', 'garbage')).toThrow(/Unknown time zone/);
    expect(() => zoneOffsetMs(0, '+03:00')).toThrow(RangeError);
  });
});

describe('zoneOffsetMs', () => {
  it.each([
    ['Europe/Bucharest', '2026-07-01T12:00:00Z', 3 * HOUR],
    ['Europe/Bucharest', '2026-01-15T12:00:00Z', 2 * HOUR],
    ['America/New_York', '2026-07-01T12:00:00Z', -4 * HOUR],
    ['America/New_York', '2026-01-15T12:00:00Z', -5 * HOUR],
    ['Asia/Kolkata', '2026-07-01T12:00:00Z', 5.5 * HOUR],
    ['Asia/Kathmandu', '2026-07-01T12:00:00Z', 5.75 * HOUR],
    ['Australia/Lord_Howe', '2026-07-01T12:00:00Z', 10.5 * HOUR],
    ['Australia/Lord_Howe', '2026-01-15T12:00:00Z', 11 * HOUR],
    ['UTC', '2026-07-01T12:00:00Z', 0],
    ['Europe/Bucharest', '1969-07-01T12:00:00Z', 2 * HOUR], // before the epoch: negative ts
  ])('%s at %s is %d ms', (zone, iso, offset) => expect(zoneOffsetMs(utc(iso), zone)).toBe(offset));

  it('switches exactly at the transition instant', () => {
    const change = utc('2026-03-29T01:00:00Z'); // 03:00 EET becomes 04:00 EEST
    expect(zoneOffsetMs(change - 1, 'Europe/Bucharest')).toBe(2 * HOUR);
    expect(zoneOffsetMs(change, 'Europe/Bucharest')).toBe(3 * HOUR);
  });
});

describe('dayHours', () => {
  /** Per zone: local dates and how many hours each has. */
  const hoursPerDay: Record<string, Record<string, number>> = {
    'Europe/Bucharest': {
      '2026-03-29': 23,
      '2026-10-25': 25,
      '2026-01-15': 24,
      '2026-06-21': 24,
      '2026-03-28': 24,
      '2026-10-26': 24,
    },
    'America/New_York': { '2026-03-08': 23, '2026-11-01': 25, '2026-07-04': 24 },
    'Asia/Kolkata': { '2026-03-29': 24 },
    'Asia/Kathmandu': { '2026-10-25': 24 },
    UTC: { '2026-03-29': 24, '2026-10-25': 24 },
    // 23.5 hours (one half-hour "hour"), then 24.5 hours (the repeated half hour).
    'Australia/Lord_Howe': { '2026-10-04': 24, '2026-04-05': 25 },
  };
  it.each(
    Object.entries(hoursPerDay).flatMap(([zone, days]) =>
      Object.entries(days).map(([date, count]) => [zone, date, count] as const),
    ),
  )('%s %s has %d hours', (zone, date, count) => expect(dayHours(date, zone)).toHaveLength(count));

  it('skips 03:00 on the Bucharest spring day', () => {
    const hours = isoHours('2026-03-29', 'Europe/Bucharest');
    expect(hours.slice(0, 5)).toEqual([
      '2026-03-29T00:00:00+02:00',
      '2026-03-29T01:00:00+02:00',
      '2026-03-29T02:00:00+02:00',
      '2026-03-29T04:00:00+03:00',
      '2026-03-29T05:00:00+03:00',
    ]);
    expect(hours.at(-1)).toBe('2026-03-29T23:00:00+03:00');
  });

  it('has two different 03:00 hours on the Bucharest autumn day', () => {
    expect(isoHours('2026-10-25', 'Europe/Bucharest').slice(2, 6)).toEqual([
      '2026-10-25T02:00:00+03:00',
      '2026-10-25T03:00:00+03:00',
      '2026-10-25T03:00:00+02:00',
      '2026-10-25T04:00:00+02:00',
    ]);
    const hours = dayHours('2026-10-25', 'Europe/Bucharest');
    expect(hours[3]).toBe(utc('2026-10-25T00:00:00Z'));
    expect(hours[4]).toBe(utc('2026-10-25T01:00:00Z'));
  });

  it('follows New York across its DST days', () => {
    expect(isoHours('2026-03-08', 'America/New_York').slice(1, 4)).toEqual([
      '2026-03-08T01:00:00-05:00',
      '2026-03-08T03:00:00-04:00',
      '2026-03-08T04:00:00-04:00',
    ]);
    expect(isoHours('2026-11-01', 'America/New_York').slice(1, 4)).toEqual([
      '2026-11-01T01:00:00-04:00',
      '2026-11-01T01:00:00-05:00',
      '2026-11-01T02:00:00-05:00',
    ]);
  });

  it('makes Lord Howe hours of 30 minutes where the clock moves by 30 minutes', () => {
    expect(isoHours('2026-10-04', 'Australia/Lord_Howe').slice(1, 4)).toEqual([
      '2026-10-04T01:00:00+10:30',
      '2026-10-04T02:30:00+11:00',
      '2026-10-04T03:00:00+11:00',
    ]);
    const spring = dayHours('2026-10-04', 'Australia/Lord_Howe');
    expect(spring[3]! - spring[2]!).toBe(30 * MINUTE);
    expect(isoHours('2026-04-05', 'Australia/Lord_Howe').slice(1, 4)).toEqual([
      '2026-04-05T01:00:00+11:00',
      '2026-04-05T01:30:00+10:30',
      '2026-04-05T02:00:00+10:30',
    ]);
    const autumn = dayHours('2026-04-05', 'Australia/Lord_Howe');
    expect(autumn[2]! - autumn[1]!).toBe(HOUR);
    expect(autumn[3]! - autumn[2]!).toBe(30 * MINUTE);
  });

  it('starts Kolkata hours at :30 UTC and Kathmandu hours at :15 UTC', () => {
    for (const h of dayHours('2026-05-10', 'Asia/Kolkata')) expect(new Date(h).getUTCMinutes()).toBe(30);
    for (const h of dayHours('2026-05-10', 'Asia/Kathmandu')) expect(new Date(h).getUTCMinutes()).toBe(15);
    expect(dayHours('2026-05-10', 'Asia/Kolkata')[0]).toBe(utc('2026-05-09T18:30:00Z'));
    expect(dayHours('2026-05-10', 'Asia/Kathmandu')[0]).toBe(utc('2026-05-09T18:15:00Z'));
  });

  it('starts a day whose midnight is skipped at the first instant that exists (Santiago)', () => {
    expect(formatIsoWithOffset(dayStart('2026-09-06', 'America/Santiago'), 'America/Santiago')).toBe(
      '2026-09-06T01:00:00-03:00',
    );
    expect(dayHours('2026-09-06', 'America/Santiago')).toHaveLength(23);
  });

  const cases: [string, string][] = [
    ['Europe/Bucharest', '2026-03-29'],
    ['Europe/Bucharest', '2026-10-25'],
    ['Europe/Bucharest', '2026-07-01'],
    ['America/New_York', '2026-03-08'],
    ['America/New_York', '2026-11-01'],
    ['Asia/Kolkata', '2026-01-01'],
    ['Asia/Kathmandu', '2026-01-01'],
    ['Australia/Lord_Howe', '2026-10-04'],
    ['Australia/Lord_Howe', '2026-04-05'],
    ['America/Santiago', '2026-09-06'],
    ['America/Santiago', '2026-04-05'],
    ['UTC', '2026-02-28'],
  ];

  it.each(cases)('%s %s: hours are consecutive, tile the day, and belong to it', (zone, date) => {
    const hours = dayHours(date, zone);
    expect(hours[0]).toBe(dayStart(date, zone));
    for (let i = 0; i < hours.length; i++) {
      const start = hours[i]!;
      const end = hourEndOf(start, zone);
      expect(end).toBe(i + 1 < hours.length ? hours[i + 1] : nextDayStart(date, zone));
      expect(end - start).toBeGreaterThan(0);
      expect(end - start).toBeLessThanOrEqual(HOUR);
      expect(localDateOf(start, zone)).toBe(date);
      expect(localDateOf(end - 1, zone)).toBe(date);
    }
    expect(localDateOf(hours[0]! - 1, zone)).toBe(addDays(date, -1));
  });

  it.each(cases)(
    '%s %s: every minute (and a ms before each hour end) maps to its hour start',
    (zone, date) => {
      for (const start of dayHours(date, zone)) {
        const end = hourEndOf(start, zone);
        for (let ts = start; ts < end; ts += MINUTE) expect(hourStartOf(ts, zone)).toBe(start);
        expect(hourStartOf(end - 1, zone)).toBe(start);
        expect(hourStartOf(start + 777, zone)).toBe(start);
        expect(hourEndOf(start + 777, zone)).toBe(end);
      }
    },
  );

  it('refuses dates that are not YYYY-MM-DD calendar dates', () => {
    for (const bad of ['2026-02-29', '2026-13-01', '2026-1-5', '26-01-05', '2026-01-05T00:00', '']) {
      expect(isValidLocalDate(bad)).toBe(false);
      expect(() => dayHours(bad, 'UTC')).toThrow(RangeError);
    }
    expect(isValidLocalDate('2028-02-29')).toBe(true);
  });
});

describe('hourStartOf against the brute-force Intl oracle', () => {
  const zones = [
    'Europe/Bucharest',
    'America/New_York',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
  ];
  const transitions = [
    '2026-03-29T01:00:00Z',
    '2026-10-25T01:00:00Z',
    '2026-03-08T07:00:00Z',
    '2026-11-01T06:00:00Z',
    '2026-10-03T15:30:00Z',
    '2026-04-04T15:00:00Z',
  ].map(utc);
  // Deterministic pseudo-random instants: near transitions, and across the year.
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const samples: number[] = [];
  for (const t of transitions) {
    for (const d of [-HOUR - 1, -HOUR, -1, 0, 1, 29 * MINUTE, 30 * MINUTE, HOUR - 1, HOUR, 2 * HOUR - 1]) {
      samples.push(t + d);
    }
    for (let i = 0; i < 10; i++) samples.push(t + Math.floor((random() - 0.5) * 6 * HOUR));
  }
  for (let i = 0; i < 40; i++)
    samples.push(utc('2026-01-01T00:00:00Z') + Math.floor(random() * 365 * 24 * HOUR));

  it.each(zones)('%s agrees on every sampled instant', (zone) => {
    for (const ts of samples) {
      const start = hourStartOf(ts, zone);
      expect({ ts, start }).toEqual({ ts, start: oracleHourStart(ts, zone) });
      expect(start).toBeLessThanOrEqual(ts);
      expect(hourEndOf(ts, zone)).toBeGreaterThan(ts);
    }
  });
});

describe('a whole year of hours is strictly increasing and exactly consecutive', () => {
  it.each(['Europe/Bucharest', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'UTC'])(
    '%s',
    (zone) => {
      const hours = hoursBetween(dayStart('2026-01-01', zone), dayStart('2027-01-01', zone), zone);
      const lengths = new Map<number, number>();
      for (let i = 1; i < hours.length; i++) {
        const length = hours[i]! - hours[i - 1]!;
        lengths.set(length, (lengths.get(length) ?? 0) + 1);
        expect(hourStartOf(hours[i]! - 1, zone)).toBe(hours[i - 1]);
      }
      // Each hour lasts an hour, except Lord Howe's two half hours a year.
      const halfHours = zone === 'Australia/Lord_Howe' ? 2 : 0;
      expect(lengths.get(30 * MINUTE) ?? 0).toBe(halfHours);
      expect([...lengths.keys()].every((l) => l === HOUR || l === 30 * MINUTE)).toBe(true);
      // 365 days of 24 hours: one-hour spring and autumn shifts cancel out; Lord Howe's
      // autumn repeats a half hour (an extra entry) while its spring only shortens one.
      expect(hours).toHaveLength(365 * 24 + halfHours / 2);
    },
  );
});

describe('localDateOf and formatIsoWithOffset', () => {
  it('puts instants near midnight on the local date', () => {
    expect(localDateOf(utc('2026-05-09T18:29:59.999Z'), 'Asia/Kolkata')).toBe('2026-05-09');
    expect(localDateOf(utc('2026-05-09T18:30:00Z'), 'Asia/Kolkata')).toBe('2026-05-10');
    expect(localDateOf(utc('2026-01-01T04:59:59Z'), 'America/New_York')).toBe('2025-12-31');
    expect(localDateOf(utc('2026-01-01T00:00:00Z'), 'UTC')).toBe('2026-01-01');
  });

  it.each([
    ['2026-03-29T01:00:00Z', 'Europe/Bucharest', '2026-03-29T04:00:00+03:00'],
    ['2026-03-29T00:59:59Z', 'Europe/Bucharest', '2026-03-29T02:59:59+02:00'],
    ['2026-05-09T18:30:00Z', 'Asia/Kolkata', '2026-05-10T00:00:00+05:30'],
    ['2026-05-09T18:15:00Z', 'Asia/Kathmandu', '2026-05-10T00:00:00+05:45'],
    ['2026-01-01T04:00:00.250Z', 'America/New_York', '2025-12-31T23:00:00.250-05:00'],
    ['2026-01-01T00:00:00Z', 'UTC', '2026-01-01T00:00:00+00:00'],
  ])('%s in %s is %s', (iso, zone, expected) => {
    expect(formatIsoWithOffset(utc(iso), zone)).toBe(expected);
    expect(Date.parse(expected)).toBe(utc(iso));
  });
});

describe('hoursBetween and daysBetween', () => {
  it('lists every local hour overlapping [from, to), including a partial first hour', () => {
    const hours = hoursBetween(utc('2026-10-24T23:30:00Z'), utc('2026-10-25T02:00:00Z'), 'Europe/Bucharest');
    expect(hours.map((h) => formatIsoWithOffset(h, 'Europe/Bucharest'))).toEqual([
      '2026-10-25T02:00:00+03:00',
      '2026-10-25T03:00:00+03:00',
      '2026-10-25T03:00:00+02:00',
    ]);
    expect(hoursBetween(utc('2026-10-25T02:00:00Z'), utc('2026-10-25T02:00:00Z'), 'UTC')).toEqual([]);
    expect(hoursBetween(utc('2026-10-25T02:00:00Z'), utc('2026-10-25T01:00:00Z'), 'UTC')).toEqual([]);
    expect(hoursBetween(utc('2026-10-25T02:00:00Z'), utc('2026-10-25T02:00:00.001Z'), 'UTC')).toEqual([
      utc('2026-10-25T02:00:00Z'),
    ]);
  });

  it('lists local day starts overlapping [from, to) across a DST change', () => {
    const zone = 'Europe/Bucharest';
    const days = daysBetween(utc('2026-03-28T12:00:00Z'), dayStart('2026-03-31', zone), zone);
    expect(days.map((d) => formatIsoWithOffset(d, zone))).toEqual([
      '2026-03-28T00:00:00+02:00',
      '2026-03-29T00:00:00+02:00',
      '2026-03-30T00:00:00+03:00',
    ]);
    expect(days[2]! - days[1]!).toBe(23 * HOUR);
    expect(daysBetween(5, 5, zone)).toEqual([]);
  });

  it('adds calendar days across months, years and leap days', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-03-29', 0)).toBe('2026-03-29');
    expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
  });
});
