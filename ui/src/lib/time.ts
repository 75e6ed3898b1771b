/**
 * Dates as the device sees them. Every conversion between an instant and a
 * local wall clock goes through Intl.DateTimeFormat with the device's IANA zone;
 * the only arithmetic here is on calendar dates (YYYY-MM-DD) and on instants,
 * never on offsets guessed by hand.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(
  timeZone: string,
  options: Intl.DateTimeFormatOptions,
  locale = 'en-GB',
): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    formatters.set(key, f);
  }
  return f;
}

function part(parts: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes): string {
  return parts.find((p) => p.type === type)?.value ?? '';
}

/** The local calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDateOf(instant: number | string | Date, timeZone: string): string {
  const parts = formatter(timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(
    new Date(instant),
  );
  return `${part(parts, 'year')}-${part(parts, 'month')}-${part(parts, 'day')}`;
}

/** The zone's UTC offset at an instant, in milliseconds, as Intl reports it ("GMT+05:45"). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const name = part(
    formatter(timeZone, { timeZoneName: 'longOffset' }).formatToParts(instant),
    'timeZoneName',
  );
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!m) return 0; // "GMT" alone is UTC
  const sign = m[1] === '-' ? -1 : 1;
  return sign * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000;
}

/** The first instant of a local calendar day in a zone (midnight, or later when midnight is skipped). */
export function startOfLocalDay(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wallClock = Date.UTC(y, m - 1, d);
  let instant = wallClock - zoneOffsetMs(wallClock, timeZone);
  instant = wallClock - zoneOffsetMs(instant, timeZone);
  // Zones that jump at midnight (e.g. America/Santiago) start the day at 01:00.
  while (localDateOf(instant, timeZone) < date) instant += 3_600_000;
  return instant;
}

/** Calendar arithmetic on YYYY-MM-DD strings (no zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function startOfWeek(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // Monday = 0
  return addDays(date, -weekday);
}

export function startOfMonth(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

export function addMonths(date: string, months: number): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + months, 1)).toISOString().slice(0, 10);
}

export function todayIn(timeZone: string, now: number = Date.now()): string {
  return localDateOf(now, timeZone);
}

/** "03:00" — the local hour, 24-hour clock. */
export function hourLabel(instant: string | number, timeZone: string): string {
  return formatter(timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(instant),
  );
}

/** "Mon 23" — a local day in a week or month view. */
export function dayLabel(instant: string | number, timeZone: string): string {
  return formatter(timeZone, { weekday: 'short', day: 'numeric' }).format(new Date(instant));
}

/** "27 Nov 2026, 14:05" in the given zone (the viewer's own when omitted). */
export function dateTimeLabel(instant: string | number, timeZone?: string): string {
  const zone = timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  return formatter(zone, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(instant));
}

/** "Friday 27 November 2026" for headings. */
export function longDateLabel(date: string): string {
  return formatter('UTC', { dateStyle: 'full' }).format(new Date(`${date}T12:00:00Z`));
}

/** "2 min ago" style, for feeds. */
export function relativeLabel(instant: string | number, now: number = Date.now()): string {
  const seconds = Math.round((new Date(instant).getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86_400), 'day');
}

export function kwhLabel(kwh: number): string {
  return `${kwh.toLocaleString('en-GB', { maximumFractionDigits: kwh < 10 ? 2 : 1 })} kWh`;
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
