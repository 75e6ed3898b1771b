/**
 * Which device ids exist, with a positive cache: a busy meter fleet posts the
 * same devices every few seconds, and one lookup per id per minute is enough.
 * A deleted device leaves the cache at once through `DeviceInvalidations`
 * (every api node refuses its readings within 2 s, docs/API.md); the TTL is
 * only a backstop for a lost invalidation. Readings already queued for a
 * deleted device are dropped by the runtime (and counted).
 *
 * Through a Postgres outage (the lookup fails or takes over `deadlineMs`),
 * ids this api has ever found stay known, so their readings are still
 * accepted into Redis (docs/API.md, Readings); an id never seen cannot be
 * decided and the request is answered 503.
 */
import type { Sql } from '../../db/connect.ts';
import { existingDeviceIds } from '../devices/repo.ts';
import { isDependencyOutage, withDeadline } from '../errors.ts';
import type { DeviceInvalidations } from './device-invalidations.ts';

export class KnownDevices {
  readonly #seen = new Map<string, number>();
  readonly #sql: Sql;
  readonly #ttlMs: number;

  readonly #deadlineMs: number;
  #failingUntil = 0;

  constructor(sql: Sql, invalidations?: DeviceInvalidations, ttlMs = 60_000, deadlineMs = 1500) {
    this.#sql = sql;
    this.#ttlMs = ttlMs;
    this.#deadlineMs = deadlineMs;
    invalidations?.subscribe((id) => this.forget(id));
  }

  /** The device is gone: look it up again next time (and never count it as known through an outage). */
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
    // The database failed a moment ago: ids known before need not wait for another failed lookup.
    if (now < this.#failingUntil && [...unseen].every((id) => this.#seen.has(id))) return new Set();
    let found: Iterable<string>;
    try {
      found = await withDeadline(existingDeviceIds(this.#sql, [...unseen]), this.#deadlineMs, 'the database');
    } catch (err) {
      // Known before (the entry is stale, not absent): good enough to queue readings while the database is away.
      if (isDependencyOutage(err)) this.#failingUntil = Date.now() + 1000;
      if (isDependencyOutage(err) && [...unseen].every((id) => this.#seen.has(id))) return new Set();
      throw err;
    }
    if (this.#seen.size > 200_000) this.#seen.clear();
    for (const id of found) {
      this.#seen.set(id, now + this.#ttlMs);
      unseen.delete(id);
    }
    return unseen;
  }
}
