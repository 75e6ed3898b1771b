// Local hours and days in an IANA time zone, on epoch milliseconds (DESIGN invariant 6).
//
// A device's energy belongs to the local hour that contains the reading, and a local
// day is every hour whose local date is that day: 23, 24 or 25 hours across DST
// changes, exact for :30 and :45 offsets. A *local hour* is a maximal run of instants
// with the same wall-clock hour AND the same UTC offset, so the repeated 03:00 of an
// autumn day is two hours, and a 30-minute DST shift (Australia/Lord_Howe) yields a
// half-hour "hour". Hour and day starts are the first instant of that run.
//
// Only `Intl` is used (Node and Deno ship full ICU). `hourStartOf` runs once per
// reading, so each zone keeps one Intl.DateTimeFormat and caches its UTC offset per
// 15-minute UTC bucket: real offsets change only on whole quarter hours, and a bucket
// whose two ends disagree (historical LMT offsets) is simply never cached.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const BUCKET = 15 * MINUTE;
// Bounds on the caches so a long-running process cannot grow them without limit.
const MAX_BUCKETS_PER_ZONE = 8192;
const MAX_ZONES = 1024;

/** Floor modulo: `mod(-1, 10) === 9`, needed for instants before 1970. */
function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** One zone's formatter and offset cache. */
class ZoneClock {
  private readonly format: Intl.DateTimeFormat;
  private readonly buckets = new Map<number, number>();
  // Readings mostly arrive in time order, so the last bucket answers most calls.
  private lastBucket = Number.NaN;
  private lastOffset = 0;

  constructor(zone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** UTC offset in ms (local wall time minus UTC) at instant ts. */
  offsetAt(ts: number): number {
    const bucket = Math.floor(ts / BUCKET);
    if (bucket === this.lastBucket) return this.lastOffset;
    let offset = this.buckets.get(bucket);
    if (offset === undefined) {
      const start = bucket * BUCKET;
      const first = this.computeOffset(start);
      offset = first === this.computeOffset(start + BUCKET - 1) ? first : Number.NaN;
      if (this.buckets.size >= MAX_BUCKETS_PER_ZONE) this.buckets.clear();
      this.buckets.set(bucket, offset);
    }
    if (Number.isNaN(offset)) return this.computeOffset(ts);
    this.lastBucket = bucket;
    this.lastOffset = offset;
    return offset;
  }

  /** The uncached truth from Intl (which works to the whole second). */
  private computeOffset(ts: number): number {
    const second = ts - mod(ts, SECOND);
    const f = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
    for (const part of this.format.formatToParts(second)) {
      if (part.type in f) f[part.type as keyof typeof f] = Number(part.value);
    }
    const wall = new Date(0);
    wall.setUTCFullYear(f.year, f.month - 1, f.day);
    wall.setUTCHours(f.hour % 24, f.minute, f.second, 0);
    return wall.getTime() - second;
  }
}

const clocks = new Map<string, ZoneClock>();

function clockFor(zone: string): ZoneClock {
  let clock = clocks.get(zone);
  if (clock === undefined) {
    if (!isValidTimeZone(zone)) throw new RangeError(`Unknown time zone: ${JSON.stringify(zone)}`);
    if (clocks.size >= MAX_ZONES) clocks.clear();
    clock = new ZoneClock(zone);
    clocks.set(zone, clock);
  }
  return clock;
}

/**
 * True for names Intl knows as IANA zones (and their aliases, such as 'UTC' or
 * 'US/Eastern'), case-insensitively as Intl does. Offset strings like '+03:00' are not
 * zones: they have no DST rules, so they are refused even where Intl accepts them.
 */
export function isValidTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone === '' || /^[+\-\u2212]/.test(zone)) return false;
  if (clocks.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const REGIONS = /^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)\//;

/** 'asia/ho_chi_minh' → 'Asia/Ho_Chi_Minh': the regular IANA capitalisation. */
const titleCase = (zone: string) =>
  zone.toLowerCase().replace(/(^|[/_-])([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());

/**
 * The spelling to store for a valid zone, else null: 'europe/bucharest' →
 * 'Europe/Bucharest', 'utc' → 'UTC'. Intl's own canonical id is used when it is the
 * same name in another case; a link is kept when typed in its regular spelling
 * ('Asia/Kathmandu', 'Europe/Kyiv' stay: Node's ICU would turn them into the older
 * 'Asia/Katmandu', 'Europe/Kiev'), a regional link in odd case gets the regular
 * capitalisation, and any other link resolves to Intl's id (API.md allows either).
 */
export function canonicalTimeZone(zone: string): string | null {
  if (!isValidTimeZone(zone)) return null;
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  if (resolved.toLowerCase() === zone.toLowerCase()) return resolved;
  const regular = titleCase(zone);
  if (zone === regular || REGIONS.test(regular)) return regular;
  return resolved;
}

/** The zone's UTC offset at instant ts, in ms (e.g. +5:30 for Asia/Kolkata → 19_800_000). */
export function zoneOffsetMs(ts: number, zone: string): number {
  return clockFor(zone).offsetAt(ts);
}

/** First instant in (lo, hi] whose offset differs from lo's, given that hi's does. */
function firstChange(clock: ZoneClock, lo: number, hi: number): number {
  const before = clock.offsetAt(lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (clock.offsetAt(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The start (epoch ms) of the local hour that contains ts. */
export function hourStartOf(ts: number, zone: string): number {
  const clock = clockFor(zone);
  const offset = clock.offsetAt(ts);
  const wallHourStart = ts - mod(ts + offset, HOUR);
  // Two offset changes never fall within one hour, so equal offsets at both ends
  // mean the hour began at its wall-clock :00; otherwise it began at the change.
  if (clock.offsetAt(wallHourStart) === offset) return wallHourStart;
  return firstChange(clock, wallHourStart, ts);
}

/** The end of the local hour that contains ts, which is the start of the next one. */
export function hourEndOf(ts: number, zone: string): number {
  const clock = clockFor(zone);
  const offset = clock.offsetAt(ts);
  const wallHourEnd = ts - mod(ts + offset, HOUR) + HOUR;
  if (clock.offsetAt(wallHourEnd - 1) === offset) return wallHourEnd;
  return firstChange(clock, ts, wallHourEnd - 1);
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date, or NaN when it is not a real date. */
function dayNumberOf(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) return Number.NaN;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    return Number.NaN;
  }
  return d.getTime() / DAY;
}

function dateOfDayNumber(dayNumber: number): string {
  return new Date(dayNumber * DAY).toISOString().slice(0, 10);
}

/** True for a calendar date written 'YYYY-MM-DD' (so '2026-02-29' is false). */
export function isValidLocalDate(date: string): boolean {
  return !Number.isNaN(dayNumberOf(date));
}

/** The date `days` calendar days after (or before) a 'YYYY-MM-DD' date. */
export function addDays(date: string, days: number): string {
  const n = dayNumberOf(date);
  if (Number.isNaN(n)) throw new RangeError(`Not a date: ${JSON.stringify(date)}`);
  return dateOfDayNumber(n + days);
}

/** The local date of instant ts, 'YYYY-MM-DD'. */
export function localDateOf(ts: number, zone: string): string {
  const wall = ts + clockFor(zone).offsetAt(ts);
  return dateOfDayNumber(Math.floor(wall / DAY));
}

function localDayNumber(clock: ZoneClock, ts: number): number {
  return Math.floor((ts + clock.offsetAt(ts)) / DAY);
}

/**
 * The first instant of a local day: local midnight, or, in zones that skip midnight
 * for DST (America/Santiago, historically Brazil), the instant the day begins.
 */
export function dayStart(date: string, zone: string): number {
  const clock = clockFor(zone);
  const day = dayNumberOf(date);
  if (Number.isNaN(day)) throw new RangeError(`Not a date: ${JSON.stringify(date)}`);
  const midnight = day * DAY;
  // Guess with the offset near midnight, then confirm it is the first instant of the day.
  let guess = midnight - clock.offsetAt(midnight);
  guess = midnight - clock.offsetAt(guess);
  if (localDayNumber(clock, guess) === day && localDayNumber(clock, guess - 1) < day) return guess;
  // Local midnight does not exist: search for where the date flips. Offsets are within
  // ±16 h, and the local date never goes backwards, so the bounds bracket the answer.
  let lo = midnight - 16 * HOUR;
  let hi = midnight + 16 * HOUR;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDayNumber(clock, mid) >= day) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The first instant of the local day after `date`: the end of `date`. */
export function nextDayStart(date: string, zone: string): number {
  return dayStart(addDays(date, 1), zone);
}

/** Starts of every local hour of a local day, in order: 23, 24 or 25 entries. */
export function dayHours(date: string, zone: string): number[] {
  return hoursBetween(dayStart(date, zone), nextDayStart(date, zone), zone);
}

/** Starts of every local hour overlapping [from, to), in order. */
export function hoursBetween(from: number, to: number, zone: string): number[] {
  const hours: number[] = [];
  if (!(from < to)) return hours;
  for (let h = hourStartOf(from, zone); h < to; h = hourEndOf(h, zone)) hours.push(h);
  return hours;
}

/** Starts of every local day overlapping [from, to), in order. */
export function daysBetween(from: number, to: number, zone: string): number[] {
  const days: number[] = [];
  if (!(from < to)) return days;
  for (let date = localDateOf(from, zone); ; date = addDays(date, 1)) {
    const start = dayStart(date, zone);
    if (start >= to) break;
    // A day skipped entirely (Pacific/Apia, 2011-12-30) starts where the next one does.
    if (days.length === 0 || start > days[days.length - 1]!) days.push(start);
  }
  return days;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * ISO 8601 with the zone's offset at ts: '2026-03-29T04:00:00+03:00' ('+00:00' for UTC).
 * Milliseconds appear only when not zero; historical offsets with seconds keep them
 * ('+01:44:24') rather than print a wrong instant.
 */
export function formatIsoWithOffset(ts: number, zone: string): string {
  const offset = clockFor(zone).offsetAt(ts);
  const wall = new Date(ts + offset);
  const ms = wall.getUTCMilliseconds();
  const abs = Math.abs(offset);
  const offSeconds = Math.floor(abs / SECOND) % 60;
  return (
    `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
    `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
    (ms === 0 ? '' : `.${pad(ms, 3)}`) +
    (offset < 0 ? '-' : '+') +
    `${pad(Math.floor(abs / HOUR))}:${pad(Math.floor(abs / MINUTE) % 60)}` +
    (offSeconds === 0 ? '' : `:${pad(offSeconds)}`)
  );
}
