/**
 * Sums energy rows into consecutive buckets (local hours or days). Sums are
 * done in integer nano-kWh so that totals are exact to the 1e-9 kWh the
 * storage keeps, whatever the order of addition.
 */
import { formatIsoWithOffset } from '../../core/time.ts';

export interface Bucket {
  start: number;
  end: number;
}

export interface EnergyRow {
  at: number;
  kwh: number;
  readings: number;
}

export interface Entry {
  start: string;
  kwh: number;
  readings: number;
  kwhExact: bigint;
}

export const toNano = (kwh: number): bigint => BigInt(Math.round(kwh * 1e9));

export function bucketEntries(buckets: Bucket[], rows: EnergyRow[], zone: string): Entry[] {
  const sums = buckets.map(() => ({ nano: 0n, readings: 0 }));
  const sorted = [...rows].sort((a, b) => a.at - b.at);
  let i = 0;
  for (const row of sorted) {
    while (i < buckets.length && row.at >= buckets[i]!.end) i++;
    if (i >= buckets.length) break;
    if (row.at < buckets[i]!.start) continue;
    sums[i]!.nano += toNano(row.kwh);
    sums[i]!.readings += row.readings;
  }
  return buckets.map((b, k) => ({
    start: formatIsoWithOffset(b.start, zone),
    kwh: Number(sums[k]!.nano) / 1e9,
    readings: sums[k]!.readings,
    kwhExact: sums[k]!.nano,
  }));
}
