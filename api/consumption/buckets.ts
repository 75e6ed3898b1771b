/**
 * Sums energy rows into consecutive buckets (local hours or days). Sums are
 * done in integer nano-kWh (bigint) so that totals are exact to the 1e-9 kWh
 * the storage keeps, whatever the order of addition, and never overflow: a
 * stored value of any size (Postgres `numeric` text included) can never make
 * a read endpoint fail.
 */
import { addDecimal, type Decimal, parseDecimal, ZERO } from '../../core/tariff.ts';
import { formatIsoWithOffset } from '../../core/time.ts';

export interface Bucket {
  start: number;
  end: number;
}

export interface EnergyRow {
  at: number;
  /** A number, or the text Postgres gives for `numeric` (exact). */
  kwh: number | string;
  readings: number;
  /** Exact kWh × price (Postgres `numeric` text); null or absent: not priced. */
  cost?: string | null;
}

export interface Entry {
  start: string;
  kwh: number;
  readings: number;
  kwhExact: bigint;
  /** Exact sum of the priced rows' cost; null when none was priced. */
  costExact: Decimal | null;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * kWh as integer nano-kWh, rounded half away from zero. Text is read exactly
 * (any size, exponent form too); a non-finite or unreadable value counts 0.
 */
export function nanoOf(kwh: number | string): bigint {
  if (typeof kwh === 'number') {
    if (!Number.isFinite(kwh)) return 0n;
    // Fast path: well inside 2^53 after scaling.
    if (Math.abs(kwh) < 1e6) return BigInt(Math.round(Math.abs(kwh) * 1e9)) * (kwh < 0 ? -1n : 1n);
  }
  const m = DECIMAL.exec(String(kwh).trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return 0n;
  const frac = m[3] ?? '';
  const digits = BigInt(`${m[2]}${frac}` || '0');
  const shift = Number(m[4] ?? 0) - frac.length + 9; // power of ten to reach nano-kWh
  if (shift > 400) return 0n; // beyond any double: not a stored energy
  let nano: bigint;
  if (shift >= 0) nano = digits * 10n ** BigInt(shift);
  else {
    const div = 10n ** BigInt(-shift);
    nano = (digits + div / 2n) / div;
  }
  return m[1] === '-' ? -nano : nano;
}

/** Nano-kWh back to kWh as a JSON-safe number (clamped to the largest finite double). */
export function nanoToKwh(nano: bigint): number {
  // Through text: Number(nano) alone would overflow before the division for totals ≥ ~1.8e299 kWh.
  const x = nano >= -(2n ** 53n) && nano <= 2n ** 53n ? Number(nano) / 1e9 : Number(`${nano}e-9`);
  if (x > Number.MAX_VALUE) return Number.MAX_VALUE;
  if (x < -Number.MAX_VALUE) return -Number.MAX_VALUE;
  return x;
}

export function bucketEntries(buckets: Bucket[], rows: EnergyRow[], zone: string): Entry[] {
  const sums = buckets.map(() => ({ nano: 0n, readings: 0, cost: null as Decimal | null }));
  const sorted = [...rows].sort((a, b) => a.at - b.at);
  let i = 0;
  for (const row of sorted) {
    while (i < buckets.length && row.at >= buckets[i]!.end) i++;
    if (i >= buckets.length) break;
    if (row.at < buckets[i]!.start) continue;
    sums[i]!.nano += nanoOf(row.kwh);
    sums[i]!.readings += row.readings;
    if (row.cost !== null && row.cost !== undefined)
      sums[i]!.cost = addDecimal(sums[i]!.cost ?? ZERO, parseDecimal(row.cost));
  }
  return buckets.map((b, k) => ({
    start: formatIsoWithOffset(b.start, zone),
    kwh: nanoToKwh(sums[k]!.nano),
    readings: sums[k]!.readings,
    kwhExact: sums[k]!.nano,
    costExact: sums[k]!.cost,
  }));
}
