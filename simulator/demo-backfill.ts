/**
 * The demo's history: the last N days of readings for each demo device,
 * generated with the same seeded load profile as the live demo (a daily
 * rhythm, evening peaks sized near the device's limit, occasional spikes that
 * cross it) and sent through a ReadingSink — in `ems start --demo` the HTTP
 * sink, so history takes the real ingest path (POST /api/readings, shard
 * queues, actors) and every page has something true to show. A device with
 * `silentSinceMs` stops reporting that long before now (a meter gone quiet).
 */
import { toWire } from './deliver.ts';
import { deviceSeed } from './prng.ts';
import { GeneratedMeter, LoadProfile, PEAK_MEAN_KW } from './profile.ts';
import type { Reading, ReadingSink } from './sink.ts';

export interface BackfillDevice {
  id: string;
  meterKind: 'interval' | 'cumulative';
  timeZone: string;
  maxHourlyKwh: number;
  /** Stops reporting this long before `now` (ms); unset: reports up to now. */
  silentSinceMs?: number;
  /**
   * Clock hours before the current one (0 = the current hour) in which an interval meter draws 1.3×
   * its hourly limit on top of its usual energy: over-limit hours the alert views
   * and the overview can show.
   */
  overLimitHoursAgo?: number[];
}

export interface BackfillOptions {
  devices: BackfillDevice[];
  sink: ReadingSink;
  /** Default 35. */
  days?: number;
  /** Between readings; default 10 minutes. */
  intervalMs?: number;
  /** Default Date.now(). */
  now?: number;
  /** Default 5000 (the api's largest batch). */
  batchSize?: number;
  seed?: number;
  /** After every batch: readings sent so far and in all. */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

/** The readings of every device, oldest first, ending at the last whole interval before `now`. */
export function backfillReadings(opts: Omit<BackfillOptions, 'sink'>): Reading[] {
  const intervalMs = opts.intervalMs ?? 600_000;
  const now = opts.now ?? Date.now();
  const last = Math.floor(now / intervalMs) * intervalMs;
  const first = last - (opts.days ?? 35) * 86_400_000 + intervalMs;
  const readings: Reading[] = [];
  for (const device of opts.devices) {
    const profile = new LoadProfile({
      seed: deviceSeed(opts.seed ?? 1, device.id),
      intervalMs,
      timeZone: device.timeZone,
      // Evening peaks near 60% of the limit: history crosses it in a spike or a chosen hour,
      // not every evening (a real device is not over its limit daily).
      scale: (0.6 * device.maxHourlyKwh) / PEAK_MEAN_KW,
    });
    const meter = new GeneratedMeter(profile, device.meterKind);
    const until = device.silentSinceMs === undefined ? last : now - device.silentSinceMs;
    const boosted = new Set(device.meterKind === 'interval' ? (device.overLimitHoursAgo ?? []) : []);
    for (let at = first; at <= until; at += intervalMs) {
      const { value } = meter.read(at);
      // Whole clock hours (the demo zones' hours start on UTC hours), so the energy lands in one hour.
      const extra = boosted.has(Math.floor(now / 3_600_000) - Math.floor(at / 3_600_000))
        ? (1.3 * device.maxHourlyKwh * intervalMs) / 3_600_000
        : 0;
      readings.push(
        toWire({ deviceId: device.id, at, value: Math.round((value + extra) * 10_000) / 10_000 }),
      );
    }
  }
  // Time order across devices: the shard actors see history as it would have arrived.
  return readings.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
}

/** Sends the history in batches; resolves with the number of readings sent. */
export async function backfillDemo(opts: BackfillOptions): Promise<number> {
  const readings = backfillReadings(opts);
  const size = opts.batchSize ?? 5000;
  for (let i = 0; i < readings.length; i += size) {
    await opts.sink.send(readings.slice(i, i + size), opts.signal);
    opts.onProgress?.(Math.min(i + size, readings.length), readings.length);
  }
  return readings.length;
}
