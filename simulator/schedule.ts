/**
 * What to send and when: turns a source (a register CSV, a table CSV or the
 * generated profile) into readings in time order — step by step, every device
 * per step — and maps each reading's simulated time to the real moment it is
 * due (`Pacing`). Generators are lazy so an endless `--follow` run costs no memory.
 */
import type { TableRow } from './csv.ts';
import { deviceSeed } from './prng.ts';
import { GeneratedMeter, LoadProfile, type MeterKind } from './profile.ts';

/** A reading before it is put on the wire: `at` is its timestamp in epoch ms. */
export interface SimReading {
  deviceId: string;
  at: number;
  value: number;
}

export interface StepOptions {
  deviceIds: readonly string[];
  /** Timestamp of the first reading of every device. */
  startMs: number;
  intervalMs: number;
  /** Readings per device; Infinity for an endless run. */
  count: number;
}

/**
 * Replays a register file (classic sensor.csv). Device k starts at line
 * `k * offsetStep mod length` so devices do not move in lockstep. Past the end
 * the file starts over and the register keeps counting from where it was
 * (adding the file's total per lap), so a lap never looks like a meter reset.
 */
export function* replayRegister(
  values: readonly number[],
  { deviceIds, startMs, intervalMs, count, offsetStep }: StepOptions & { offsetStep: number },
): Generator<SimReading> {
  const length = values.length;
  const lapKwh = values[length - 1]! - values[0]!;
  const offsets = deviceIds.map((_, k) => (k * offsetStep) % length);
  for (let step = 0; step < count; step++) {
    const at = startMs + step * intervalMs;
    for (let k = 0; k < deviceIds.length; k++) {
      const position = offsets[k]! + step;
      const laps = Math.floor(position / length);
      const raw = values[position % length]!;
      // Exact file values on the first lap: no float arithmetic touches them.
      const value = laps === 0 ? raw : roundKwh(raw + laps * lapKwh);
      yield { deviceId: deviceIds[k]!, at, value };
    }
  }
}

function roundKwh(value: number): number {
  return Math.round(value * 1e8) / 1e8;
}

/** The default spread of CSV offsets: devices evenly spaced through the file. */
export function defaultOffsetStep(length: number, devices: number): number {
  return Math.max(1, Math.floor(length / Math.max(1, devices)));
}

export interface ProfileStepOptions extends StepOptions {
  meterKind: MeterKind;
  seed: number;
  timeZone?: string;
  spikeRate?: number;
  /** Per-device scale (e.g. sized to its limit); default drawn from its seed. */
  scaleOf?: (deviceId: string) => number | undefined;
}

/** Readings of the generated profile; each device has its own seed. */
export function* generateProfile(options: ProfileStepOptions): Generator<SimReading> {
  const { deviceIds, startMs, intervalMs, count } = options;
  const meters = deviceIds.map(
    (id) =>
      new GeneratedMeter(
        new LoadProfile({
          seed: deviceSeed(options.seed, id),
          intervalMs,
          timeZone: options.timeZone,
          spikeRate: options.spikeRate,
          scale: options.scaleOf?.(id),
        }),
        options.meterKind,
      ),
  );
  for (let step = 0; step < count; step++) {
    const at = startMs + step * intervalMs;
    for (let k = 0; k < deviceIds.length; k++) {
      yield { deviceId: deviceIds[k]!, at, value: meters[k]!.read(at).value };
    }
  }
}

/** Rows of a table CSV, as written in the file. */
export function* replayTable(rows: readonly TableRow[]): Generator<SimReading> {
  for (const row of rows) yield { deviceId: row.deviceId, at: row.at, value: row.value };
}

/** When (real epoch ms) a reading with simulated time `at` is due; ≤ now means "send now". */
export type Pacing = (at: number) => number;

/**
 * - `max`: everything is due at once (the server's pace is the limit);
 * - a number: `speed` simulated ms per real ms, anchored at `realStartMs`;
 * - backfill: as fast as possible before `backfillEndMs`, then (follow) each
 *   reading is due when the wall clock reaches its timestamp.
 */
export function makePacing(
  options:
    | { mode: 'max' }
    | { mode: 'speed'; speed: number; simStartMs: number; realStartMs: number }
    | { mode: 'backfill'; backfillEndMs: number },
): Pacing {
  switch (options.mode) {
    case 'max':
      return () => 0;
    case 'speed': {
      const { speed, simStartMs, realStartMs } = options;
      return (at) => realStartMs + (at - simStartMs) / speed;
    }
    case 'backfill': {
      const { backfillEndMs } = options;
      return (at) => (at < backfillEndMs ? 0 : at);
    }
  }
}
