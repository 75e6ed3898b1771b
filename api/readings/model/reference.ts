/**
 * The reference model of the model-based test (model.test.ts): what the
 * reading path must end up with, computed the simplest way there is. A device
 * is the set of its readings (first value sent for a timestamp wins), its
 * meter kind and its current zone; energies, hourly rows and day views follow
 * from that set alone, whatever the order, duplicates, redeliveries, node
 * swaps and zone changes the real path went through.
 */
import { roundKwh } from '../../../actors/meter.ts';
import { dayHours, hourStartOf, localDateOf } from '../../../core/time.ts';

export type Kind = 'interval' | 'cumulative';

export interface ModelDevice {
  id: string;
  kind: Kind;
  zone: string;
  limits: number[];
  zoneChanged: boolean;
  /** ts → value; the first value sent for a timestamp wins. */
  readings: Map<number, number>;
}

export const nano = (kwh: number): bigint => BigInt(Math.round(kwh * 1e9));

/** Applies one POSTed batch in order: later duplicates (equal or not) are ignored. */
export function send(device: ModelDevice, batch: Array<[number, number]>): void {
  for (const [ts, value] of batch) if (!device.readings.has(ts)) device.readings.set(ts, value);
}

/** Per-reading energy, in timestamp order (cumulative: first is the baseline, a drop a reset). */
export function energies(device: ModelDevice): Array<{ ts: number; kwh: number }> {
  const sorted = [...device.readings].sort((a, b) => a[0] - b[0]);
  return sorted.map(([ts, value], i) => {
    if (device.kind === 'interval') return { ts, kwh: roundKwh(value) };
    if (i === 0) return { ts, kwh: 0 };
    const prev = sorted[i - 1]![1];
    return { ts, kwh: roundKwh(value < prev ? value : value - prev) };
  });
}

/** Hourly rows in the device's current zone: hour start → {nano-kWh, readings}. */
export function hourly(device: ModelDevice): Map<number, { nano: bigint; readings: number }> {
  const out = new Map<number, { nano: bigint; readings: number }>();
  for (const { ts, kwh } of energies(device)) {
    const h = hourStartOf(ts, device.zone);
    const row = out.get(h) ?? { nano: 0n, readings: 0 };
    row.nano += nano(kwh);
    row.readings++;
    out.set(h, row);
  }
  return out;
}

/** The local dates the readings fall on, in the device's zone. */
export function dates(device: ModelDevice): string[] {
  return [...new Set([...device.readings.keys()].map((ts) => localDateOf(ts, device.zone)))].sort();
}

/** The day view's hours: every local hour of `date` with its kWh (as nano) and reading count. */
export function dayView(
  device: ModelDevice,
  date: string,
): Array<{ start: number; nano: bigint; readings: number }> {
  const rows = hourly(device);
  return dayHours(date, device.zone).map((start) => ({
    start,
    nano: rows.get(start)?.nano ?? 0n,
    readings: rows.get(start)?.readings ?? 0,
  }));
}
