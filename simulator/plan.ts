/**
 * The plan of a run: which readings, in what order and at what pace, decided
 * from the options, the parsed CSV (if any) and the devices. Pure apart from
 * the `realNow` it is given, so the timing rules are testable on their own.
 */
import type { SimulateOptions } from './args.ts';
import type { MeterCsv } from './csv.ts';
import { formatDuration } from './durations.ts';
import {
  defaultOffsetStep,
  generateProfile,
  makePacing,
  type Pacing,
  replayRegister,
  replayTable,
  type SimReading,
} from './schedule.ts';

export interface RunPlan {
  readings: Iterable<SimReading>;
  pacing: Pacing;
  total?: number;
  description: string;
}

/** Decides what is sent and at what pace; pure apart from `realNow`. */
export function planRun(
  options: SimulateOptions,
  csv: MeterCsv | undefined,
  deviceIds: string[],
  realNow: number,
): RunPlan {
  const { intervalMs, speed } = options;
  if (csv?.format === 'table') {
    const simStartMs = csv.rows.reduce((min, row) => Math.min(min, row.at), Infinity);
    const devices = new Set(csv.rows.map((row) => row.deviceId)).size;
    return {
      readings: replayTable(csv.rows),
      pacing:
        speed === 'max'
          ? makePacing({ mode: 'max' })
          : makePacing({ mode: 'speed', speed, simStartMs, realStartMs: realNow }),
      total: csv.rows.length,
      description: `replaying ${csv.rows.length} rows for ${devices} devices from ${options.csv} at speed ${speed}`,
    };
  }
  let count: number;
  if (options.backfill) {
    count = options.follow ? Infinity : Math.ceil((options.backfill.to - options.backfill.from) / intervalMs);
  } else {
    count = options.count ?? (csv ? csv.values.length : Infinity);
  }
  const currentInterval = Math.floor(realNow / intervalMs) * intervalMs;
  // Faster than real time, a series starting now would soon be in the future,
  // which the server refuses; with a known length it ends now instead.
  const runsAhead = speed === 'max' || speed > 1;
  const startMs =
    options.backfill?.from ??
    options.startMs ??
    (runsAhead && Number.isFinite(count) && count > 0
      ? currentInterval - (count - 1) * intervalMs
      : currentInterval);
  const step = { deviceIds, startMs, intervalMs, count };
  const readings =
    csv?.format === 'register'
      ? replayRegister(csv.values, {
          ...step,
          offsetStep: options.offsetStep ?? defaultOffsetStep(csv.values.length, deviceIds.length),
        })
      : generateProfile({
          ...step,
          meterKind: options.meterKind,
          seed: options.seed,
          timeZone: options.timeZone,
          spikeRate: options.spikeRate,
        });
  let pacing: Pacing;
  let pace: string;
  if (options.backfill) {
    pacing = makePacing({ mode: 'backfill', backfillEndMs: options.backfill.to });
    pace = options.follow ? 'backfill, then real time' : 'backfill';
  } else if (speed === 'max') {
    pacing = makePacing({ mode: 'max' });
    pace = 'max speed';
  } else {
    pacing = makePacing({ mode: 'speed', speed, simStartMs: startMs, realStartMs: realNow });
    pace = `speed ${speed}`;
  }
  const source = csv ? `replay of ${options.csv}` : `${options.meterKind} profile (seed ${options.seed})`;
  const total = Number.isFinite(count) ? count * deviceIds.length : undefined;
  return {
    readings,
    pacing,
    total,
    description:
      `${total ?? 'endless'} readings for ${deviceIds.length} device(s), ${source}, every ` +
      `${formatDuration(intervalMs)} from ${new Date(startMs).toISOString()}, ${pace}, to ${options.mqtt ?? options.redis ?? options.url}`,
  };
}
