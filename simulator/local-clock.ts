/**
 * The local wall-clock of a device at an instant: fractional hour of day and
 * whether it is a weekend. The load profile follows people's days, and people
 * live in the device's time zone (DST included), not in UTC.
 */

export interface LocalClock {
  /** Hour of day, 0 ≤ hour < 24, with minutes as the fraction. */
  hour: number;
  /** Saturday or Sunday. */
  weekend: boolean;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws a RangeError for an unknown IANA zone name. */
export function assertTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

export function localClock(at: number, timeZone: string): LocalClock {
  if (timeZone === 'UTC') {
    const date = new Date(at);
    const day = date.getUTCDay();
    return {
      hour: date.getUTCHours() + date.getUTCMinutes() / 60 + date.getUTCSeconds() / 3600,
      weekend: day === 0 || day === 6,
    };
  }
  let hour = 0;
  let weekend = false;
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type === 'hour') hour += Number(part.value);
    else if (part.type === 'minute') hour += Number(part.value) / 60;
    else if (part.type === 'second') hour += Number(part.value) / 3600;
    else if (part.type === 'weekday') weekend = part.value === 'Sat' || part.value === 'Sun';
  }
  return { hour, weekend };
}
