/**
 * Keeps the reading intake open through a Postgres outage (API.md, Readings:
 * readings for known devices are still accepted into Redis while the
 * database is away). Every request resolves its bearer token against the
 * database; for POST /api/readings only, the last good resolution of a token
 * (at most `maxAgeMs` old, and never past the token's own expiry) stands in
 * when the database cannot be reached. Every other route answers 503.
 *
 * The trade-off, stated in docs/RELIABILITY.md: a token revoked on another
 * node shortly before an outage can keep posting readings to this node
 * until the outage ends or `maxAgeMs` passes; it can do nothing else.
 */
import type { Principal } from '../context.ts';
import { isDependencyOutage, withDeadline } from '../errors.ts';
import { hashToken } from './opaque-tokens.ts';

export class IngestAuthFallback {
  readonly #known = new Map<string, { principal: Principal; at: number }>();
  /** After a failed lookup, known tokens skip the database for a second: each lookup would wait its deadline. */
  #failingUntil = 0;

  constructor(
    private readonly maxAgeMs = 10 * 60_000,
    /** Longest the database lookup may take on the intake before the fallback is used. */
    private readonly deadlineMs = 1500,
  ) {}

  async resolve(token: string, lookup: () => Promise<Principal | null>): Promise<Principal | null> {
    const key = hashToken(token);
    if (Date.now() < this.#failingUntil) {
      const fallback = this.#fallback(key);
      if (fallback) return fallback;
    }
    try {
      const principal = await withDeadline(lookup(), this.deadlineMs, 'the database (token lookup)');
      if (principal) {
        if (this.#known.size >= 10_000) this.#known.clear();
        this.#known.set(key, { principal, at: Date.now() });
      } else this.#known.delete(key);
      return principal;
    } catch (err) {
      if (!isDependencyOutage(err)) throw err;
      this.#failingUntil = Date.now() + 1000;
      const fallback = this.#fallback(key);
      if (fallback) return fallback;
      throw err;
    }
  }

  #fallback(key: string): Principal | null {
    const hit = this.#known.get(key);
    const now = Date.now();
    const expiresAt = (hit?.principal.kind === 'user' ? hit.principal.expiresAt : undefined) ?? Infinity;
    return hit && now - hit.at < this.maxAgeMs && now < expiresAt ? hit.principal : null;
  }
}
