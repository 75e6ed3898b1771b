/**
 * Who is calling. The middleware resolves the bearer token — a login JWT, a
 * personal access token or a device ingest token — to a principal; a token
 * that is present but bad is refused at once with 401. Handlers then state
 * what they need with `requireUser` / `requireAdmin`. Resolved principals are
 * cached per app (principal-cache.ts) and dropped on every node when access
 * changes (access-changes.ts); `resolveToken` itself always reads the database
 * (the sockets' re-check uses it as the safety net).
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { BusCacheOptions } from '../cache/bus-cache.ts';
import type { AppDeps, AppEnv, Principal } from '../context.ts';
import { ApiError } from '../errors.ts';
import { findActiveDeviceToken, findActivePat, touchDeviceTokenUse } from '../tokens/repo.ts';
import { findUser, findUserInSession, type UserRow } from '../users/repo.ts';
import { type AccessChanges, processAccessChanges } from './access-changes.ts';
import { IngestAuthFallback } from './ingest-fallback.ts';
import { DEVICE_TOKEN_PREFIX, hashToken, PAT_PREFIX } from './opaque-tokens.ts';
import { PrincipalCache } from './principal-cache.ts';

/** Device tokens whose last use was written by this process, and when (ms). */
const lastUseWritten = new Map<string, number>();
const LAST_USE_EVERY_MS = 60_000;

/**
 * Records a device token's use at most once a minute per token: the in-process
 * map spares the write on every reading, the repo's WHERE keeps several nodes to one
 * write a minute too. Fire and forget: a failed write must not fail ingest.
 */
function touchDeviceToken(sql: AppDeps['sql'], tokenId: string): void {
  const now = Date.now();
  if (now - (lastUseWritten.get(tokenId) ?? 0) < LAST_USE_EVERY_MS) return;
  if (lastUseWritten.size > 10_000) lastUseWritten.clear();
  lastUseWritten.set(tokenId, now);
  touchDeviceTokenUse(sql, tokenId).catch(() => lastUseWritten.delete(tokenId));
}

const unauthorized = (message = 'Missing or invalid bearer token') => new ApiError('unauthorized', message);

export async function resolveToken(
  deps: Pick<AppDeps, 'sql' | 'jwt'>,
  token: string,
): Promise<Principal | null> {
  const { sql, jwt } = deps;
  if (token.startsWith(PAT_PREFIX)) {
    const row = await findActivePat(sql, hashToken(token));
    const user = row ? await findUser(sql, row.userId) : null;
    if (!row || !user) return null;
    return {
      kind: 'user',
      user,
      via: 'pat',
      tokenId: row.id,
      expiresAt: row.expiresAt?.getTime() ?? Infinity,
    };
  }
  if (token.startsWith(DEVICE_TOKEN_PREFIX)) {
    const row = await findActiveDeviceToken(sql, hashToken(token));
    if (!row) return null;
    touchDeviceToken(sql, row.id);
    return { kind: 'device', deviceId: row.deviceId, tokenId: row.id };
  }
  const claims = await jwt.verify(token);
  // A login token must name an open session: a signature alone could not be ended.
  if (!claims?.jti || !/^[0-9a-f-]{36}$/i.test(claims.jti)) return null;
  const user = await findUserInSession(sql, claims.sub, claims.jti);
  if (!user) return null;
  return { kind: 'user', user, via: 'jwt', sessionId: claims.jti, expiresAt: claims.exp * 1000 };
}

export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

/**
 * `resolveToken` through a cache that every access change on any node empties
 * of what it touched. Returns the resolver and the function that unsubscribes.
 */
export function cachedResolver(
  deps: Pick<AppDeps, 'sql' | 'jwt'> & { accessChanges?: AccessChanges | undefined },
  options: BusCacheOptions = {},
): { resolve(token: string): Promise<Principal | null>; cache: PrincipalCache; close(): void } {
  const cache = new PrincipalCache(options);
  const stopChanges = cache.follow(deps.accessChanges ?? processAccessChanges, (change) =>
    cache.invalidate(change),
  );
  return {
    cache,
    async resolve(token) {
      const key = hashToken(token);
      const hit = cache.get(key);
      if (hit) {
        if (hit.kind === 'device') touchDeviceToken(deps.sql, hit.tokenId);
        return hit;
      }
      const generation = cache.generation;
      const principal = await resolveToken(deps, token);
      if (principal) cache.set(key, principal, generation);
      return principal;
    },
    close() {
      stopChanges();
    },
  };
}

export function authenticate(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const ingest = new IngestAuthFallback();
  const principals = cachedResolver(deps, deps.principalCache);
  return async (c, next) => {
    const token = bearerOf(c.req.header('authorization'));
    if (token === undefined) {
      c.set('principal', undefined);
      return next();
    }
    if (token === '' || token.length > 4096) throw unauthorized();
    // The reading intake stays open through a database outage (see ingest-fallback.ts).
    const principal =
      c.req.method === 'POST' && c.req.path === '/api/readings'
        ? await ingest.resolve(token, () => principals.resolve(token))
        : await principals.resolve(token);
    if (!principal) throw unauthorized('Invalid, expired or revoked token');
    c.set('principal', principal);
    return next();
  };
}

export function requirePrincipal(c: Context<AppEnv>): Principal {
  const p = c.get('principal');
  if (!p) throw unauthorized();
  return p;
}

export function requireUser(c: Context<AppEnv>): UserRow {
  const p = requirePrincipal(c);
  if (p.kind !== 'user') throw new ApiError('forbidden', 'A device token can only post readings');
  return p.user;
}

export function requireAdmin(c: Context<AppEnv>): UserRow {
  const user = requireUser(c);
  if (user.role !== 'admin') throw new ApiError('forbidden', 'Administrators only');
  return user;
}
