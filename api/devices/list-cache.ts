/**
 * `GET /api/devices` pages per api process, as the JSON they are answered
 * with, so a dashboard or an automation polling the list costs no database
 * statement and no serialisation until something changes (issue #14: reads at
 * 6,000 req/s). A change that touches device lists empties it on every node
 * before the change's request is answered (BusCache, access-changes.ts; while
 * acks come within their 1 s timeout): a device created, edited or deleted
 * (`deviceRows`, `devices`), a user deleted (their devices are unassigned) or
 * edited.
 *
 * Writers that do not announce are seen within the TTL, 5 s: `ems demo
 * --remove` in its own process, the runtime putting a meter kind back when
 * readings raced a kind change, migrations and SQL by hand, and api nodes of
 * an older version during a rolling upgrade.
 */
import type { Sql } from '../../db/connect.ts';
import { type AccessChange, type AccessChanges, processAccessChanges } from '../auth/access-changes.ts';
import { BusCache, type BusCacheOptions } from '../cache/bus-cache.ts';
import { type Device, type List, mapList } from '../contract.ts';
import type { JsonText } from '../router.ts';
import { type DeviceListQuery, listDevices, toDevice } from './repo.ts';

/**
 * A default page of 50 devices is ~20 K characters; larger pages (long descriptions, many
 * tariff periods, `limit` in the hundreds) are read each time, so 256 pages hold at most
 * 16 M characters (32 MB of heap if every name needed two-byte strings).
 */
const MAX_CACHED_CHARS = 64 * 1024;

/** Device rows created or edited, devices deleted, users deleted (their devices unassigned) or edited. */
const touchesDeviceLists = (c: AccessChange) =>
  c.all || !!c.deviceRows?.length || !!c.devices?.length || !!c.users?.length;

export class DeviceListCache {
  readonly #cache: BusCache<string>;
  readonly #sql: Sql;
  readonly stop: () => void;

  constructor(sql: Sql, bus: AccessChanges | undefined, opts: BusCacheOptions = {}) {
    this.#sql = sql;
    this.#cache = new BusCache<string>(opts, { max: 256, ttlMs: 5_000 });
    this.stop = this.#cache.follow(bus ?? processAccessChanges, (change) => {
      if (touchesDeviceLists(change)) this.#cache.clear();
    });
  }

  /** The page `q` selects as its JSON body (`{ items, total }`), from the cache or the database. */
  async page(q: DeviceListQuery): Promise<JsonText<List<Device>>> {
    const key = JSON.stringify(q);
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    const generation = this.#cache.generation;
    const page = await listDevices(this.#sql, q);
    const body = JSON.stringify(mapList(page, toDevice));
    if (body.length <= MAX_CACHED_CHARS) this.#cache.set(key, body, generation);
    return body;
  }
}
