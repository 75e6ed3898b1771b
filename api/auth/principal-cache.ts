/**
 * Resolved principals per api process, so a request with a token seen moments
 * ago costs no database round trip (issue #14: GET /api/devices made three
 * queries, one of them the token → user lookup). Keyed by the token's SHA-256,
 * so a cache hit also skips the JWT signature check; the token's own expiry
 * (JWT `exp`, PAT `expiresAt`) is checked on every hit, so expiry stays exact.
 *
 * Revocation stays immediate (invariant 9) because every change that ends or
 * narrows access is announced on the access-change bus (access-changes.ts)
 * after its COMMIT and drops the matching entries on every node. Three guards
 * keep a lost announcement from serving a stale principal for long:
 *
 * - a generation counter: a lookup that started before an announcement is not
 *   stored when it finishes after it (it may have read the old rows);
 * - `suspend()` while the bus cannot deliver (Redis subscription down): the
 *   cache is emptied and bypassed until `resume()`;
 * - a short TTL (`ttlMs`, default 10 s), the bound for a silently lost message.
 *
 * Bounded: at most `max` entries; the oldest is evicted first.
 */
import type { Principal, PrincipalCacheOptions } from '../context.ts';
import type { AccessChange } from './access-changes.ts';

interface Entry {
  principal: Principal;
  /** Until when (ms) the entry may be served: the TTL or the token's own expiry, whichever is first. */
  until: number;
}

export class PrincipalCache {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #generation = 0;
  #suspended = false;

  constructor(opts: PrincipalCacheOptions = {}) {
    this.#max = opts.max ?? 10_000;
    this.#ttlMs = opts.ttlMs ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Taken before a lookup and handed to `set`: a change announced in between voids the result. */
  get generation(): number {
    return this.#generation;
  }

  /** The cached principal of this token hash, if still valid. */
  get(key: string): Principal | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.#now() >= entry.until) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  /** Stores a lookup's result, unless access changed since `generation` or the cache is suspended. */
  set(key: string, principal: Principal, generation: number): void {
    if (this.#suspended || generation !== this.#generation) return;
    const expiresAt = principal.kind === 'user' ? (principal.expiresAt ?? Infinity) : Infinity;
    const until = Math.min(this.#now() + this.#ttlMs, expiresAt);
    if (until <= this.#now()) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { principal, until });
  }

  /** Drops every entry the change touches (rare: a scan is cheaper than keeping indexes in step). */
  invalidate(change: AccessChange): void {
    if (change.all) {
      this.clear();
      return;
    }
    this.#generation++;
    const users = new Set(change.users);
    const sessions = new Set(change.sessions);
    const tokens = new Set(change.tokens);
    const devices = new Set(change.devices);
    for (const [key, { principal: p }] of this.#entries) {
      const hit =
        p.kind === 'user'
          ? users.has(p.user.id) ||
            (p.sessionId !== undefined && sessions.has(p.sessionId)) ||
            (p.tokenId !== undefined && tokens.has(p.tokenId))
          : tokens.has(p.tokenId) || devices.has(p.deviceId);
      if (hit) this.#entries.delete(key);
    }
  }

  /** Empties the cache (and voids lookups in flight). */
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
}
