/**
 * Shapes a Consumption answer into what the chart and the CSV show: one bar per
 * local hour (23, 24 or 25 on a day, labelled in the device's zone so a
 * fall-back day reads "02:00, 02:00"), zeros where no reading arrived, and the
 * bars over the hourly limit flagged. Pure, so it is tested without a canvas.
 */
import type { Consumption, ConsumptionEntry } from '../../../api/contract.ts';
import { dayHours, hourStartOf, localDateOf } from '../../../core/time.ts';
import { dayLabel, hourLabel } from './time.ts';

export type ChartInterval = 'hour' | 'day';

export interface Bar {
  /** ISO instant the bar starts at. */
  start: string;
  /** Local label in the device's zone ("03:00" or "Mon 23"). */
  label: string;
  /** Local date of the bar's start (YYYY-MM-DD). */
  localDate: string;
  kwh: number;
  readings: number;
  /** What it cost (rounded by the server once per entry); null without a tariff. */
  cost: number | null;
  /** Only hourly bars can be over the hourly limit. */
  overLimit: boolean;
  /** The same position in the previous period (day n of last week / month), when compared. */
  previousKwh: number | null;
}

/** The period before, for the compare overlay: totals and their difference. */
export interface PreviousPeriod {
  totalKwh: number;
  totalCost: number | null;
  /** This period minus the previous one. */
  diffKwh: number;
  diffCost: number | null;
}

export interface ChartShape {
  bars: Bar[];
  interval: ChartInterval;
  timeZone: string;
  /** The limit line, only for hourly bars. */
  limitKwh: number | null;
  totalKwh: number;
  /** The tariff's currency and the period's cost (the server's total, rounded once); null without. */
  currency: string | null;
  totalCost: number | null;
  peak: Bar | null;
  overLimitCount: number;
  previous: PreviousPeriod | null;
}

/**
 * The entry of the local hour that contains `now`, if the answer has one. Hours are found
 * on the zone's own boundaries (core/time.ts), not as 60 minutes from a start: after a
 * 30-minute DST shift (Australia/Lord_Howe) an hour can be half as long.
 */
export function openHourOf(data: Consumption, now: number): ConsumptionEntry | undefined {
  const start = hourStartOf(now, data.timeZone);
  return data.hours.find((h) => Date.parse(h.start) === start);
}

function round(kwh: number): number {
  return Math.round(kwh * 1000) / 1000;
}

/**
 * `previous` (week and month views): the period before, laid over bar by bar — day 1
 * on day 1 — so a month of 31 days against one of 30 has no overlay on its last day.
 */
export function shapeConsumption(
  data: Consumption,
  interval: ChartInterval = 'hour',
  previous: Consumption | null = null,
): ChartShape {
  const { timeZone } = data;
  const byInstant = new Map<number, { kwh: number; readings: number; start: string; cost: number | null }>();
  for (const entry of data.hours) {
    byInstant.set(new Date(entry.start).getTime(), {
      kwh: Number.isFinite(entry.kwh) ? entry.kwh : 0,
      readings: entry.readings,
      start: entry.start,
      cost: entry.cost ?? null,
    });
  }

  // A day view is laid out from the zone's own calendar, so hours the server
  // left out still appear (as zeros) and the count matches the day's length.
  const instants = new Set<number>(byInstant.keys());
  if (interval === 'hour' && data.date) {
    for (const t of dayHours(data.date, timeZone)) instants.add(t);
  }

  const limitKwh = interval === 'hour' ? data.maxHourlyKwh : null;
  const bars = [...instants]
    .sort((a, b) => a - b)
    .map((t, i): Bar => {
      const entry = byInstant.get(t);
      const kwh = round(entry?.kwh ?? 0);
      const before = previous?.hours[i];
      return {
        start: entry?.start ?? new Date(t).toISOString(),
        label: interval === 'hour' ? hourLabel(t, timeZone) : dayLabel(t, timeZone),
        localDate: localDateOf(t, timeZone),
        kwh,
        readings: entry?.readings ?? 0,
        cost: entry ? entry.cost : (data.currency ?? null) === null ? null : 0,
        overLimit: limitKwh !== null && kwh > limitKwh,
        previousKwh: before ? round(before.kwh) : null,
      };
    });

  const peak = bars.reduce<Bar | null>(
    (best, bar) => (best === null || bar.kwh > best.kwh ? bar : best),
    null,
  );
  const totalKwh = round(bars.reduce((sum, bar) => sum + bar.kwh, 0));
  const currency = data.currency ?? null;
  const totalCost = data.totalCost ?? null;
  return {
    bars,
    interval,
    timeZone,
    limitKwh,
    totalKwh,
    currency,
    totalCost,
    peak: peak && peak.kwh > 0 ? peak : null,
    overLimitCount: bars.filter((b) => b.overLimit).length,
    previous: previous ? comparePrevious(totalKwh, totalCost, previous) : null,
  };
}

function comparePrevious(totalKwh: number, totalCost: number | null, previous: Consumption): PreviousPeriod {
  const prevKwh = round(previous.hours.reduce((sum, h) => sum + (Number.isFinite(h.kwh) ? h.kwh : 0), 0));
  const prevCost = previous.totalCost ?? null;
  return {
    totalKwh: prevKwh,
    totalCost: prevCost,
    diffKwh: round(totalKwh - prevKwh),
    // Both totals are already rounded to the minor unit: only float noise to drop.
    diffCost: totalCost !== null && prevCost !== null ? Math.round((totalCost - prevCost) * 1e6) / 1e6 : null,
  };
}

/** "€12.40" in the currency's own minor units. */
export function moneyLabel(amount: number, currency: string): string {
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(amount);
}

/**
 * One CSV cell. A text cell starting with = + - @ (or a tab / carriage return)
 * would run as a formula in a spreadsheet — a device name is chosen by an
 * admin but shown to clients — so it gets a leading apostrophe (OWASP's CSV
 * injection advice). Numbers stay numbers.
 */
export function csvField(value: string | number | boolean): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Exactly what the chart shows, one row per bar, with the zone and limit made explicit. */
export function toCsv(shape: ChartShape, deviceName: string): string {
  const header = [
    'device',
    'start',
    'local_date',
    'local_label',
    'time_zone',
    'kwh',
    'readings',
    'max_hourly_kwh',
    'over_limit',
    'cost',
    'currency',
  ];
  const rows = shape.bars.map((bar) =>
    [
      deviceName,
      bar.start,
      bar.localDate,
      bar.label,
      shape.timeZone,
      bar.kwh,
      bar.readings,
      shape.limitKwh ?? '',
      bar.overLimit,
      bar.cost ?? '',
      shape.currency ?? '',
    ]
      .map(csvField)
      .join(','),
  );
  return `${[header.join(','), ...rows].join('\n')}\n`;
}

/** Offers text as a file download in the browser. */
export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
