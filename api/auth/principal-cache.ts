/**
 * Resolved principals per api process, so a request with a token seen moments
 * ago costs no database round trip (issue #14: GET /api/devices made three
 * queries, one of them the token → user lookup). Keyed by the token's SHA-256,
 * so a cache hit also skips the JWT signature check; the token's own expiry
 * (JWT `exp`, PAT `expiresAt`) is checked on every hit, so expiry stays exact.
 *
 * Revocation stays immediate (invariant 9) because every change that ends or
 * narrows access is announced on the access-change bus (access-changes.ts)
 * after its COMMIT and drops the matching entries on every node; the
 * generation, suspension and TTL (default 10 s) guards are BusCache's.
 */
import { BusCache, type BusCacheOptions } from '../cache/bus-cache.ts';
import type { Principal } from '../context.ts';
import type { AccessChange } from './access-changes.ts';

export class PrincipalCache extends BusCache<Principal> {
  constructor(opts: BusCacheOptions = {}) {
    super(opts, { max: 10_000, ttlMs: 10_000 });
  }

  /** Stores a lookup's result until the TTL or the token's own expiry, whichever is first. */
  override set(key: string, principal: Principal, generation: number): void {
    super.set(key, principal, generation, principal.kind === 'user' ? principal.expiresAt : undefined);
  }

  /** Drops every entry the change touches (rare: a scan is cheaper than keeping indexes in step). */
  invalidate(change: AccessChange): void {
    if (change.all) {
      this.clear();
      return;
    }
    const users = new Set(change.users);
    const sessions = new Set(change.sessions);
    const tokens = new Set(change.tokens);
    const devices = new Set(change.devices);
    // A device created or edited (`deviceRows` only) changes no credential: nothing to scan.
    if (users.size + sessions.size + tokens.size + devices.size === 0) return;
    this.deleteWhere((p) =>
      p.kind === 'user'
        ? users.has(p.user.id) ||
          (p.sessionId !== undefined && sessions.has(p.sessionId)) ||
          (p.tokenId !== undefined && tokens.has(p.tokenId))
        : tokens.has(p.tokenId) || devices.has(p.deviceId),
    );
  }
}
