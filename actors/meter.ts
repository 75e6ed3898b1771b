// Meter arithmetic: turning what a meter reports into the energy of each interval.
//
// An `interval` meter reports the kWh used since its previous reading, so its value is
// the energy. A `cumulative` meter reports its register (the classic sensor.csv): the
// first reading only sets the baseline (0 kWh), each later one is worth `current −
// previous`, and a register that goes down was reset, so the reading is worth
// `current` (what it counted since the reset) and never a negative amount.
//
// Energies are plain JS numbers summed as they come. Binary floating point cannot hold
// most decimal fractions, so a sum of register differences may differ from the
// register difference in the 13th digit; `roundKwh` rounds to 1e-9 kWh (a milliwatt-
// hour is 1e-6 kWh) before anything is compared, stored or shown, which makes an
// hour's total equal to its register difference to the last digit a meter reports.

/** Energy of one cumulative interval: the register difference, or `current` after a reset. */
export function intervalEnergy(previous: number, current: number): number {
  return current < previous ? current : current - previous;
}

/**
 * Energy of a cumulative reading given the register before it, or null when it is
 * the meter's first reading: the baseline, worth 0 kWh.
 */
export function cumulativeEnergy(previous: number | null, current: number): number {
  return previous === null ? 0 : intervalEnergy(previous, current);
}

// Below this magnitude x * 1e9 stays well inside the 2^53 of exact integers.
const FAST_ROUND_LIMIT = 1e6;

/**
 * Rounds kWh to 9 decimals (1e-9 kWh), halves away from zero, and never returns -0.
 * Use it on sums before comparing them with a limit, storing or serialising them.
 */
export function roundKwh(x: number): number {
  if (!Number.isFinite(x)) return x;
  const abs = Math.abs(x);
  const rounded = abs < FAST_ROUND_LIMIT ? Math.round(abs * 1e9) / 1e9 : Number(abs.toFixed(9));
  if (rounded === 0) return 0;
  return x < 0 ? -rounded : rounded;
}
