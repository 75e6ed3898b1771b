/**
 * Tariffs and money, pure: which price is in force at an hour's local start,
 * how many minor units a currency has, and exact decimal sums rounded once.
 * Guards the cost rule of docs/API.md: cost = Σ kWh × price, each hour priced
 * by the period in force at its local start (periods begin on whole local
 * hours, so an hour never straddles two), rounded ONCE at the end to the
 * currency's minor unit — never a sum of rounded parts, never a float sum.
 */
import { zoneOffsetMs } from './time.ts';

export interface TariffPeriod {
  /** Local wall-clock time 'HH:MM' (a whole hour) at which this price starts. */
  from: string;
  pricePerKwh: number;
}

export interface Tariff {
  currency: string;
  periods: TariffPeriod[];
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Minutes after local midnight of 'HH:MM', or NaN when it is not a time of day. */
export function minutesOf(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
}

/**
 * The price in force at instant `hourStart` (a local hour's start) in `zone`:
 * the last period whose `from` is at or before the local wall-clock time.
 * On a DST day the wall clock decides (after a spring-forward gap the hour
 * that starts at 04:00 local is priced as 04:00).
 */
export function priceAt(tariff: Tariff, hourStart: number, zone: string): number {
  const wall = hourStart + zoneOffsetMs(hourStart, zone);
  const minutes = Math.floor((((wall % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
  let price = tariff.periods[0]?.pricePerKwh ?? 0;
  for (const p of tariff.periods) {
    if (minutesOf(p.from) <= minutes) price = p.pricePerKwh;
    else break;
  }
  return price;
}

/** True for an ISO 4217 code this runtime knows ('EUR', 'JPY', 'KWD'). */
export function isCurrency(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  return Intl.supportedValuesOf('currency').includes(code);
}

/** Digits after the decimal point of the currency's minor unit: EUR 2, JPY 0, KWD 3. */
export function minorUnits(currency: string): number {
  return (
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

/** An exact decimal: units × 10^-scale. */
export interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/** Reads a decimal exactly from text (Postgres `numeric`, exponent form too) or a number's shortest form. */
export function parseDecimal(value: string | number): Decimal {
  const m = DECIMAL.exec(String(value).trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return { units: 0n, scale: 0 };
  const frac = m[3] ?? '';
  let units = BigInt(`${m[2]}${frac}` || '0');
  let scale = frac.length - Number(m[4] ?? 0);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: m[1] === '-' ? -units : units, scale };
}

function rescale(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

/** Rounds half away from zero to `digits` decimals and returns a JSON number. */
export function roundDecimal(d: Decimal, digits: number): number {
  if (d.scale <= digits) return Number(`${d.units}e-${d.scale}`);
  const div = 10n ** BigInt(d.scale - digits);
  const abs = d.units < 0n ? -d.units : d.units;
  const rounded = (abs + div / 2n) / div;
  return Number(`${d.units < 0n ? '-' : ''}${rounded}e-${digits}`);
}

/** The money of an exact sum in `currency`, rounded once to its minor unit. */
export function moneyOf(sum: Decimal, currency: string): number {
  return roundDecimal(sum, minorUnits(currency));
}
