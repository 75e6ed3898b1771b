/**
 * What makes a shard job poison: a failure no retry can fix. A payload that is
 * not what the api queues (a producer bug, a hand-written job) fails the same
 * way every time, and so does data the database refuses (SQLSTATE class 22,
 * "data exception": an id that is not a uuid, a value out of range). Such a
 * job is moved aside by the queue driver (runtime/types.ts PoisonJobError)
 * instead of blocking its shard for ever; everything else — a database or
 * Redis away, a fenced epoch, a duplicate — is retried until it passes.
 */
import { PoisonJobError } from '../runtime/types.ts';
import type { DeviceControl, ShardJobPayload } from './messages.ts';

const OPS: ReadonlySet<DeviceControl['op']> = new Set(['reload', 'deleted', 'configure']);

/** `payload` as a ShardJobPayload, or a PoisonJobError saying what is wrong with it. */
export function checkedPayload(payload: unknown): ShardJobPayload {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new PoisonJobError('shard job payload is not an object');
  const { readings, controls } = payload as Record<string, unknown>;
  if (readings !== undefined) {
    if (!Array.isArray(readings)) throw new PoisonJobError('shard job readings is not an array');
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i] as unknown[];
      if (
        !Array.isArray(r) ||
        typeof r[0] !== 'string' ||
        typeof r[1] !== 'number' ||
        !Number.isFinite(r[1]) ||
        typeof r[2] !== 'number' ||
        !Number.isFinite(r[2])
      )
        throw new PoisonJobError(`shard job reading ${i} is not [deviceId, ts, value]`);
    }
  }
  if (controls !== undefined) {
    if (!Array.isArray(controls)) throw new PoisonJobError('shard job controls is not an array');
    for (let i = 0; i < controls.length; i++) {
      const c = controls[i] as Partial<DeviceControl> | null;
      if (
        typeof c !== 'object' ||
        c === null ||
        typeof c.deviceId !== 'string' ||
        !OPS.has(c.op as DeviceControl['op']) ||
        (c.op === 'configure' && (typeof c.config !== 'object' || c.config === null))
      )
        throw new PoisonJobError(`shard job control ${i} is not a device control`);
    }
  }
  return payload as ShardJobPayload;
}

/** Postgres (and PGlite) refused the data itself: SQLSTATE class 22. */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && code.startsWith('22');
}
