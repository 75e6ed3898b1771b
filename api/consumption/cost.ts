/**
 * Money on a consumption view. Each stored row carries its exact cost
 * (kWh × the price in force at its local hour's start, numeric in Postgres);
 * here the exact sums become the response: every entry's cost and the total
 * are each rounded ONCE, from the exact sum, to the currency's minor unit —
 * the total is never a sum of rounded entries (docs/DESIGN-NOTES.md, "Cost").
 */
import { addDecimal, type Decimal, moneyOf, ZERO } from '../../core/tariff.ts';
import type { Entry } from './buckets.ts';

export interface PricedView {
  currency: string | null;
  totalCost: number | null;
  hours: Array<{ start: string; kwh: number; readings: number; cost: number | null }>;
}

/**
 * `currency` is the device's tariff now (null: no tariff, every cost null). An entry
 * with readings none of which were priced (they came before the tariff) has a null
 * cost; an entry with nothing used costs 0.
 */
export function priced(entries: Entry[], currency: string | null): PricedView {
  let total: Decimal = ZERO;
  const hours = entries.map(({ kwhExact: _, costExact, ...e }) => {
    if (currency === null) return { ...e, cost: null };
    if (costExact === null) return { ...e, cost: e.readings === 0 ? 0 : null };
    total = addDecimal(total, costExact);
    return { ...e, cost: moneyOf(costExact, currency) };
  });
  return { currency, totalCost: currency === null ? null : moneyOf(total, currency), hours };
}
