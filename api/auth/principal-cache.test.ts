/**
 * The principal cache on its own (a fake clock, no database): the TTL bounds
 * an entry whatever happens to the bus, a token's own expiry is exact, a
 * lookup that raced an access change is not stored, a suspended cache serves
 * and stores nothing, and the size is capped.
 */
import { describe, expect, it } from 'vitest';
import type { Principal } from '../context.ts';
import type { UserRow } from '../users/repo.ts';
import { PrincipalCache } from './principal-cache.ts';

const user = (id: string, role: 'admin' | 'client' = 'client'): UserRow => ({
  id,
  username: id,
  name: id,
  email: null,
  role,
  notifyByEmail: false,
  createdAt: new Date(0),
});
const viaJwt = (userId: string, sessionId: string, expiresAt = Infinity): Principal => ({
  kind: 'user',
  user: user(userId),
  via: 'jwt',
  sessionId,
  expiresAt,
});
const viaPat = (userId: string, tokenId: string, expiresAt = Infinity): Principal => ({
  kind: 'user',
  user: user(userId),
  via: 'pat',
  tokenId,
  expiresAt,
});
const device = (deviceId: string, tokenId: string): Principal => ({ kind: 'device', deviceId, tokenId });

function clocked(opts: { ttlMs?: number; max?: number } = {}) {
  let now = 1_000_000;
  const cache = new PrincipalCache({ ...opts, now: () => now });
  return { cache, advance: (ms: number) => (now += ms), now: () => now };
}

describe('PrincipalCache', () => {
  it('serves an entry until its TTL, then never again (the bound for a lost announcement)', () => {
    const { cache, advance } = clocked({ ttlMs: 10_000 });
    cache.set('k', viaJwt('u', 's'), cache.generation);
    advance(9_999);
    expect(cache.get('k')).toBeDefined();
    advance(1);
    expect(cache.get('k')).toBeUndefined();
  });

  it('stops at the token’s own expiry to the millisecond, before the TTL', () => {
    const { cache, advance, now } = clocked({ ttlMs: 60_000 });
    cache.set('jwt', viaJwt('u', 's', now() + 1_500), cache.generation);
    cache.set('pat', viaPat('u', 't', now() + 2_000), cache.generation);
    advance(1_499);
    expect(cache.get('jwt')).toBeDefined();
    advance(1);
    expect(cache.get('jwt')).toBeUndefined();
    expect(cache.get('pat')).toBeDefined();
    advance(500);
    expect(cache.get('pat')).toBeUndefined();
    // Already expired: not stored at all.
    cache.set('old', viaPat('u', 't2', now()), cache.generation);
    expect(cache.get('old')).toBeUndefined();
  });

  it('drops exactly what a change names: user, session, token, device', () => {
    const { cache } = clocked();
    const g = cache.generation;
    cache.set('a', viaJwt('alice', 's1'), g);
    cache.set('a2', viaJwt('alice', 's2'), g);
    cache.set('b', viaPat('bob', 't1'), g);
    cache.set('b2', viaPat('bob', 't2'), g);
    cache.set('d', device('dev1', 't3'), g);
    cache.set('d2', device('dev2', 't4'), g);
    cache.invalidate({ sessions: ['s1'] });
    expect([cache.get('a'), cache.get('a2')].map(Boolean)).toEqual([false, true]);
    cache.invalidate({ tokens: ['t1', 't4'] });
    expect([cache.get('b'), cache.get('b2'), cache.get('d2')].map(Boolean)).toEqual([false, true, false]);
    cache.invalidate({ devices: ['dev1'] });
    expect(cache.get('d')).toBeUndefined();
    cache.invalidate({ users: ['alice', 'bob'] });
    expect(cache.size).toBe(0);
  });

  it('an unreadable change drops everything', () => {
    const { cache } = clocked();
    cache.set('a', viaJwt('alice', 's1'), cache.generation);
    cache.set('d', device('dev1', 't3'), cache.generation);
    cache.invalidate({ all: true });
    expect(cache.size).toBe(0);
  });

  it('does not store a lookup that started before an access change (it may have read the old rows)', () => {
    const { cache } = clocked();
    const before = cache.generation;
    cache.invalidate({ sessions: ['someone-else'] });
    cache.set('k', viaJwt('u', 's'), before);
    expect(cache.get('k')).toBeUndefined();
    cache.set('k', viaJwt('u', 's'), cache.generation);
    expect(cache.get('k')).toBeDefined();
  });

  it('while suspended (the bus is down) serves and stores nothing; resuming voids lookups in flight', () => {
    const { cache } = clocked();
    cache.set('k', viaJwt('u', 's'), cache.generation);
    cache.suspend();
    expect(cache.get('k')).toBeUndefined();
    const during = cache.generation;
    cache.set('k', viaJwt('u', 's'), during);
    expect(cache.get('k')).toBeUndefined();
    cache.resume();
    cache.set('k', viaJwt('u', 's'), during);
    expect(cache.get('k')).toBeUndefined();
    cache.set('k', viaJwt('u', 's'), cache.generation);
    expect(cache.get('k')).toBeDefined();
  });

  it('keeps at most `max` entries, evicting the oldest', () => {
    const { cache } = clocked({ max: 3 });
    for (const k of ['a', 'b', 'c', 'd']) cache.set(k, viaJwt(k, k), cache.generation);
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('d')).toBeDefined();
  });
});
