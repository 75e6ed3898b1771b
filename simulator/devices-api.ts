/**
 * The one admin call the simulator makes besides posting readings: creating
 * demo devices (`--create N`). Not retried: a create whose answer was lost
 * may have happened, and a second try would leave a duplicate device.
 */
import type { Device } from '../api/contract.ts';
import { parseError } from './http-sink.ts';
import type { MeterKind } from './profile.ts';
import { SinkRejectedError } from './sink.ts';

export interface NewDevice {
  name: string;
  maxHourlyKwh: number;
  meterKind: MeterKind;
  timeZone: string;
  description?: string;
  address?: string;
}

export async function createDevice(
  baseUrl: string,
  token: string,
  device: NewDevice,
  fetchImpl: typeof fetch = globalThis.fetch,
): Promise<Device> {
  const response = await fetchImpl(new URL('/api/devices', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(device),
  });
  const text = await response.text();
  if (!response.ok) {
    const error = parseError(text);
    throw new SinkRejectedError(response.status, error.code, error.message, error.details);
  }
  const created = JSON.parse(text) as Device;
  if (typeof created?.id !== 'string') throw new Error('POST /api/devices answered without a device id');
  return created;
}

/**
 * A default hourly limit for replayed devices: 30% above the file's mean hourly
 * energy, so alerts happen on the busier hours but not on every one.
 */
export function suggestedLimitForRegister(values: readonly number[], intervalMs: number): number {
  if (values.length < 2) return 1;
  let energy = 0;
  for (let i = 1; i < values.length; i++) energy += Math.max(0, values[i]! - values[i - 1]!);
  const meanPerHour = (energy / (values.length - 1)) * (3_600_000 / intervalMs);
  return Math.max(1, Math.ceil(meanPerHour * 1.3));
}
