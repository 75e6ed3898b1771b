/**
 * Dates as the device sees them, for people: labels through Intl.DateTimeFormat in
 * the device's IANA zone, and calendar steps for the week and month views. The zone
 * math itself (local dates, day and hour boundaries: 23/25-hour days, :30/:45 zones)
 * is the server's own, core/time.ts, so the dashboard and the hour attribution of
 * readings cannot disagree.
 */
import { addDays, localDateOf } from '../../../core/time.ts';

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

/** The Monday of a date's week (calendar arithmetic, no zone involved). */
export function startOfWeek(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // Monday = 0
  return addDays(date, -weekday);
}

/** The first day of a date's month. */
export function startOfMonth(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

/** The first day of the month `months` after (or before) a date's month. */
export function addMonths(date: string, months: number): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + months, 1)).toISOString().slice(0, 10);
}

/** Today's local date (YYYY-MM-DD) in a zone. */
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
  const zone = timeZone ?? browserTimeZone();
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
