/**
 * MQTT payload → validated readings of one device, for the three formats a
 * topic may carry: `plain` (ems/devices/<id>/readings: `{timestamp, value}` or
 * `{readings: [...]}`), `tasmota` and `shelly` (a device's own topic). Every
 * reading goes through the REST schema (api/readings/schema.ts), so MQTT
 * refuses exactly what POST /api/readings refuses (invariant 5); a refusal is
 * an ApiError whose body is published on the device's errors topic. Messages
 * a vendor sends that carry no energy (a Tasmota SENSOR without ENERGY, a
 * Shelly status of a component without `aenergy`) are `ignored`, not errors.
 */
import { z } from '@hono/zod-openapi';
import { ApiError, detailsFromZod, type ErrorDetail } from '../errors.ts';
import { MAX_READINGS_PER_REQUEST, type Reading, readingSchema } from '../readings/schema.ts';
import { instantOfLocalTime } from './local-time.ts';

export type MqttPayloadFormat = 'plain' | 'tasmota' | 'shelly';

export type Decoded =
  | { kind: 'readings'; readings: Reading[] }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; error: ApiError };

export interface DecodeContext {
  deviceId: string;
  /** The device's IANA zone (Tasmota's `Time` is local to it). */
  timeZone: string;
  /** When the message arrived (epoch ms): resolves a repeated local hour, and "not in the future". */
  now: number;
}

const invalid = (message: string, details?: ErrorDetail[]): Decoded => ({
  kind: 'invalid',
  error: new ApiError('invalid_request', message, details),
});

function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Runs items through the REST reading schema; `rename` maps schema paths back to the payload's. */
function validate(items: unknown[], now: number, rename: (path: string) => string): Decoded {
  const parsed = z
    .array(readingSchema(() => now))
    .min(1)
    .max(MAX_READINGS_PER_REQUEST)
    .safeParse(items);
  if (parsed.success) return { kind: 'readings', readings: parsed.data };
  const details = detailsFromZod(parsed.error).map((d) => ({ ...d, path: rename(d.path) }));
  const where = details[0]?.path ? ` at ${details[0].path}` : '';
  return invalid(`Invalid reading${where}: ${details[0]?.message ?? 'invalid'}`, details);
}

function decodePlain(body: unknown, ctx: DecodeContext): Decoded {
  if (!isObject(body)) return invalid('The payload must be a JSON object');
  const batch = 'readings' in body;
  const items = batch ? body.readings : [body];
  if (!Array.isArray(items))
    return invalid('readings must be an array', [{ path: 'readings', message: 'must be an array' }]);
  for (const [i, item] of items.entries()) {
    if (!isObject(item)) continue; // the schema explains what is wrong with it
    const claimed = item.deviceId ?? item.device_id;
    if (claimed !== undefined && claimed !== ctx.deviceId) {
      const path = batch ? `readings.${i}.deviceId` : 'deviceId';
      return invalid('A reading names another device than its topic', [
        { path, message: 'not the topic’s device' },
      ]);
    }
  }
  const withDevice = items.map((item) => {
    if (!isObject(item)) return item;
    const { device_id: _alias, ...rest } = item;
    return { ...rest, deviceId: ctx.deviceId };
  });
  return validate(withDevice, ctx.now, (p) => (batch ? `readings.${p}` : p.replace(/^0\.?/, '')));
}

/** `+02:00` → 7_200_000 ms; `Z` → 0. */
function offsetMs(offset: string): number {
  if (offset === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
}

/** Tasmota `tele/<name>/SENSOR`: `{"Time": "2026-10-25T02:30:00", "ENERGY": {"Total": 12.3, …}}`. */
function decodeTasmota(body: unknown, ctx: DecodeContext): Decoded {
  if (!isObject(body)) return invalid('The payload must be a JSON object');
  if (!('ENERGY' in body)) return { kind: 'ignored', reason: 'no ENERGY' };
  const energy = body.ENERGY;
  if (!isObject(energy) || typeof energy.Total !== 'number')
    return invalid('ENERGY.Total must be a number (kWh)', [
      { path: 'ENERGY.Total', message: 'must be a number' },
    ]);
  if (typeof body.Time !== 'string')
    return invalid('Time must be a local date-time', [{ path: 'Time', message: 'required' }]);
  // With SetOption52 1 Tasmota appends its UTC offset: then the instant is exact, nothing to resolve.
  const offset = /(Z|[+-]\d{2}:\d{2})$/.exec(body.Time);
  const ts = offset
    ? instantOfLocalTime(body.Time.slice(0, -offset[0].length), 'UTC', ctx.now) - offsetMs(offset[0])
    : instantOfLocalTime(body.Time, ctx.timeZone, ctx.now);
  if (!Number.isFinite(ts))
    return invalid('Time must be a local date-time such as 2026-10-25T02:30:00', [
      { path: 'Time', message: 'not a local date-time' },
    ]);
  const paths: Record<string, string> = { timestamp: 'Time', value: 'ENERGY.Total' };
  return validate([{ deviceId: ctx.deviceId, timestamp: ts, value: energy.Total }], ctx.now, (p) =>
    p.replace(/^0\.(\w+)/, (_, k: string) => paths[k] ?? k),
  );
}

/** The `aenergy` objects of a Shelly Gen2 status (`status/switch:0`) or NotifyStatus/NotifyFullStatus. */
function shellyEnergies(body: Record<string, unknown>): Array<{ path: string; aenergy: unknown }> {
  if ('aenergy' in body) return [{ path: 'aenergy', aenergy: body.aenergy }];
  const params = body.params;
  if (!isObject(params)) return [];
  return Object.entries(params)
    .filter(([, v]) => isObject(v) && 'aenergy' in v)
    .map(([k, v]) => ({ path: `params.${k}.aenergy`, aenergy: (v as Record<string, unknown>).aenergy }));
}

/** Shelly Gen2: `aenergy.total` (Wh, the register) at `aenergy.minute_ts` (epoch seconds). Channels add up. */
function decodeShelly(body: unknown, ctx: DecodeContext): Decoded {
  if (!isObject(body)) return invalid('The payload must be a JSON object');
  const energies = shellyEnergies(body);
  if (energies.length === 0) return { kind: 'ignored', reason: 'no aenergy' };
  let totalWh = 0;
  let minuteTs = Number.NEGATIVE_INFINITY;
  for (const { path, aenergy } of energies) {
    if (!isObject(aenergy) || typeof aenergy.total !== 'number')
      return invalid(`${path}.total must be a number (Wh)`, [
        { path: `${path}.total`, message: 'must be a number' },
      ]);
    if (typeof aenergy.minute_ts !== 'number' || !Number.isInteger(aenergy.minute_ts))
      return invalid(`${path}.minute_ts must be epoch seconds`, [
        { path: `${path}.minute_ts`, message: 'must be an integer (epoch seconds)' },
      ]);
    totalWh += aenergy.total;
    minuteTs = Math.max(minuteTs, aenergy.minute_ts);
  }
  const first = energies[0]!.path;
  const paths: Record<string, string> = { timestamp: `${first}.minute_ts`, value: `${first}.total` };
  return validate(
    [{ deviceId: ctx.deviceId, timestamp: minuteTs * 1000, value: totalWh / 1000 }],
    ctx.now,
    (p) => p.replace(/^0\.(\w+)/, (_, k: string) => paths[k] ?? k),
  );
}

const decoders: Record<MqttPayloadFormat, (body: unknown, ctx: DecodeContext) => Decoded> = {
  plain: decodePlain,
  tasmota: decodeTasmota,
  shelly: decodeShelly,
};

export function decodeMessage(format: MqttPayloadFormat, payload: Buffer, ctx: DecodeContext): Decoded {
  const json = parseJson(payload);
  if (!json.ok) return invalid('The payload is not valid JSON');
  return decoders[format](json.value, ctx);
}
