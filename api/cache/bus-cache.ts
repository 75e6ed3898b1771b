/**
 * A per-process cache kept exact across api nodes by the acknowledged
 * access-change bus (api/auth/access-changes.ts): what a change touches is
 * dropped on every node before the request that made the change is answered.
 * The principal cache (who a token is) and the device list cache (what
 * `GET /api/devices` answers) are both one of these. Three guards keep a lost
 * announcement from serving stale entries for long:
 *
 * - a generation counter: a load that started before a change is not stored
 *   when it finishes after it (it may have read the old rows);
 * - `suspend()` while the bus cannot deliver (Redis subscription down): the
 *   cache is emptied and bypassed until `resume()`;
 * - a short TTL, the bound for a silently lost or unacknowledged message and
 *   for writers that do not announce (each cache's module lists them).
 *
 * Bounded: at most `max` entries; the oldest is evicted first.
 */
import type { AccessChange, AccessChanges } from '../auth/access-changes.ts';

export interface BusCacheOptions {
  /** Most entries kept. */
  max?: number;
  /** Longest an entry is trusted without a database read (ms). */
  ttlMs?: number;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  /** Until when (ms) the entry may be served. */
  until: number;
}

export class BusCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #generation = 0;
  #suspended = false;

  constructor(opts: BusCacheOptions, defaults: { max: number; ttlMs: number }) {
    this.#max = opts.max ?? defaults.max;
    this.#ttlMs = opts.ttlMs ?? defaults.ttlMs;
    this.#now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Taken before a load and handed to `set`: a change announced in between voids the result. */
  get generation(): number {
    return this.#generation;
  }

  /** The cached value of `key`, if still valid. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.#now() >= entry.until) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Stores a load's result until the TTL or `expiresAt` (ms), whichever is first,
   * unless a change came since `generation` or the cache is suspended.
   */
  set(key: string, value: V, generation: number, expiresAt = Infinity): void {
    if (this.#suspended || generation !== this.#generation) return;
    const until = Math.min(this.#now() + this.#ttlMs, expiresAt);
    if (until <= this.#now()) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, until });
  }

  /** Drops the entries `hit` picks (and voids loads in flight). */
  deleteWhere(hit: (value: V) => boolean): void {
    this.#generation++;
    for (const [key, { value }] of this.#entries) if (hit(value)) this.#entries.delete(key);
  }

  /** Empties the cache (and voids loads in flight). */
  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  /** The bus cannot deliver changes: forget everything and cache nothing until `resume()`. */
  suspend(): void {
    this.#suspended = true;
    this.clear();
  }

  /** The bus delivers again; what was read while it was down may have missed a change. */
  resume(): void {
    this.#suspended = false;
    this.clear();
  }

  /**
   * Follows `bus`: `onChange` applies each change, and the cache is off while the
   * bus cannot deliver. Returns the function that stops following.
   */
  follow(bus: AccessChanges, onChange: (change: AccessChange) => void): () => void {
    return bus.subscribe({
      change: onChange,
      delivering: (up) => (up ? this.resume() : this.suspend()),
    });
  }
}
