/**
 * Which device ids exist, with a short positive cache: a busy meter fleet
 * posts the same devices every few seconds, and one lookup per id per minute
 * is enough. A device deleted within the cache window is still refused by its
 * actor (readings of a missing device are dropped at the runtime).
 */
import type { Sql } from '../../db/connect.ts';
import { existingDeviceIds } from '../devices/repo.ts';

export class KnownDevices {
  readonly #seen = new Map<string, number>();
  readonly #sql: Sql;
  readonly #ttlMs: number;

  constructor(sql: Sql, ttlMs = 60_000) {
    this.#sql = sql;
    this.#ttlMs = ttlMs;
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
