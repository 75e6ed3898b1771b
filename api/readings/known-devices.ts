/**
 * Which device ids exist, with a positive cache: a busy meter fleet posts the
 * same devices every few seconds, and one lookup per id per minute is enough.
 * A deleted device leaves the cache at once through `DeviceInvalidations`
 * (every api node refuses its readings within 2 s, API.md); the TTL is only a
 * backstop for a lost invalidation. Readings already queued for a deleted
 * device are dropped by the runtime (and counted).
 */
import type { Sql } from '../../db/connect.ts';
import { existingDeviceIds } from '../devices/repo.ts';
import type { DeviceInvalidations } from './device-invalidations.ts';

export class KnownDevices {
  readonly #seen = new Map<string, number>();
  readonly #sql: Sql;
  readonly #ttlMs: number;

  constructor(sql: Sql, invalidations?: DeviceInvalidations, ttlMs = 60_000) {
    this.#sql = sql;
    this.#ttlMs = ttlMs;
    invalidations?.subscribe((id) => this.forget(id));
  }

  /** The device is gone: look it up again next time. */
  forget(deviceId: string): void {
    this.#seen.delete(deviceId);
  }

  /** The ids among `ids` that do not name a device. */
  async missing(ids: string[]): Promise<Set<string>> {
    const now = Date.now();
    const unseen = new Set<string>();
    for (const id of ids) {
      const until = this.#seen.get(id);
      if (until === undefined || until < now) unseen.add(id);
    }
    if (unseen.size === 0) return unseen;
    const found = await existingDeviceIds(this.#sql, [...unseen]);
    if (this.#seen.size > 200_000) this.#seen.clear();
    for (const id of found) {
      this.#seen.set(id, now + this.#ttlMs);
      unseen.delete(id);
    }
    return unseen;
  }
}
