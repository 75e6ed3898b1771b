// The rolling 60-minute window of a device: the energy of the readings whose
// timestamps fall in (now − 60 min, now], shown live and used for the projection.
//
// Every resident actor holds one, so it is two parallel number arrays (V8 stores them
// unboxed, 8 bytes an entry) sorted by timestamp, a head index instead of shifting on
// every eviction, and a running total so `sum` costs O(1) however dense the readings.
// The running total is recomputed from the entries whenever the arrays are compacted,
// so floating-point drift from subtracting evicted amounts cannot build up.

import { roundKwh } from './meter.ts';

/** The window's length: one hour. */
export const WINDOW_MS = 60 * 60_000;

/** The window's readings as a rate and a cadence (see limits.ts, projectHour). */
export interface Pace {
  /** Readings with ts in (now − 60 min, now]. */
  readings: number;
  /** Time from the first of them to the last. */
  spanMs: number;
  /** Energy of all of them but the first (whose energy is from before it). */
  kwhAfterFirst: number;
}

// Compact once this many evicted slots sit at the front, and they are most of the array.
const COMPACT_AFTER = 32;

export class RollingWindow {
  private readonly times: number[] = [];
  private readonly energies: number[] = [];
  private head = 0;
  private total = 0;
  // The latest instant the window has been told about (a reading or a `sum(now)`):
  // entries at or before edge − 60 min can never count again.
  private edge = Number.NEGATIVE_INFINITY;
  // The earliest reading it ever kept: before the window has run for an hour, its
  // energy only covers the time since then.
  private since = Number.NaN;

  /** Readings currently held (some may lie in the future of a given `now`). */
  get size(): number {
    return this.times.length - this.head;
  }

  /**
   * Adds a reading's energy. A reading at or before (latest instant seen − 60 min)
   * can no longer be inside any window to come, so it is ignored: returns false.
   */
  add(ts: number, kwh: number): boolean {
    if (ts <= this.edge - WINDOW_MS) return false;
    const last = this.times.length - 1;
    const same = this.#indexOf(ts);
    if (same >= 0) {
      // A correction of a reading already held (a late cumulative reading split its
      // interval): one reading, so the pace's count and cadence stay right.
      this.energies[same]! += kwh;
    } else if (last < this.head || ts >= this.times[last]!) {
      this.times.push(ts);
      this.energies.push(kwh);
    } else {
      // A late reading inside the window: keep the arrays sorted.
      let at = last;
      while (at > this.head && this.times[at - 1]! > ts) at--;
      this.times.splice(at, 0, ts);
      this.energies.splice(at, 0, kwh);
    }
    this.total += kwh;
    if (!(this.since <= ts)) this.since = ts;
    this.advance(ts);
    return true;
  }

  /**
   * Energy of the readings with ts in (now − 60 min, now], rounded to 1e-9 kWh.
   * `now` is expected not to go backwards: readings that an earlier call has already
   * evicted are not brought back for an older `now`.
   */
  sum(now: number): number {
    this.advance(now);
    let sum = this.total;
    // Readings stamped after `now` (clock skew) are held for later but not counted yet.
    for (let i = this.times.length - 1; i >= this.head && this.times[i]! > now; i--) sum -= this.energies[i]!;
    return roundKwh(sum);
  }

  /**
   * How much time the window's energy stands for at `now`: 60 minutes once readings
   * go back that far, else the time since the first reading it kept (0 when none).
   */
  coveredMs(now: number): number {
    if (Number.isNaN(this.since)) return 0;
    return Math.min(WINDOW_MS, Math.max(0, now - this.since));
  }

  /** The readings in (now − 60 min, now]: how many, their time span, their energy after the first. */
  pace(now: number): Pace {
    const sum = this.sum(now);
    let last = this.times.length - 1;
    while (last >= this.head && this.times[last]! > now) last--;
    const readings = last - this.head + 1;
    if (readings < 1) return { readings: 0, spanMs: 0, kwhAfterFirst: 0 };
    return {
      readings,
      spanMs: this.times[last]! - this.times[this.head]!,
      kwhAfterFirst: roundKwh(sum - this.energies[this.head]!),
    };
  }

  /** Forgets everything, as a freshly activated actor would. */
  clear(): void {
    this.times.length = 0;
    this.energies.length = 0;
    this.head = 0;
    this.total = 0;
    this.edge = Number.NEGATIVE_INFINITY;
    this.since = Number.NaN;
  }

  /** Index of the entry stamped `ts`, or -1 (searched from the newest: corrections are recent). */
  #indexOf(ts: number): number {
    for (let i = this.times.length - 1; i >= this.head && this.times[i]! >= ts; i--) {
      if (this.times[i] === ts) return i;
    }
    return -1;
  }

  /** Moves the right edge to `now` (if later) and evicts what fell out on the left. */
  private advance(now: number): void {
    if (now <= this.edge) return;
    this.edge = now;
    const cutoff = now - WINDOW_MS;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) {
      this.total -= this.energies[this.head]!;
      this.head++;
    }
    if (this.head === this.times.length) {
      this.times.length = 0;
      this.energies.length = 0;
      this.head = 0;
      this.total = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.times.length) {
      this.times.splice(0, this.head);
      this.energies.splice(0, this.head);
      this.head = 0;
      this.total = this.energies.reduce((a, b) => a + b, 0);
    }
  }
}
