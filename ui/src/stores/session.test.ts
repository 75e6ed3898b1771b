import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tokenStorage } from '../api/http.ts';
import { aUser } from '../test-data.ts';
import { fakeFetch } from '../test-fetch.ts';
import { useSession } from './session.ts';

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => {
  vi.unstubAllGlobals();
  tokenStorage.set(null);
});

describe('session sign-out', () => {
  it('ends the token on the server (POST /api/auth/logout with it), then forgets it', async () => {
    const fake = fakeFetch({
      'POST /api/auth/login': () => ({
        body: { token: 'tok-1', expiresAt: '2030-01-01T00:00:00Z', user: aUser() },
      }),
      'POST /api/auth/logout': () => ({ status: 204 }),
    });
    const session = useSession();
    await session.login('ada', 'a-long-password');
    await session.signOut();
    const logout = fake.calls.find((c) => c.path === '/api/auth/logout');
    expect(logout?.headers.authorization).toBe('Bearer tok-1');
    expect(session.token).toBeNull();
    expect(tokenStorage.get()).toBeNull();
    expect(session.notice).toBe('You are signed out.');
  });

  it('still signs out locally when the server cannot be reached', async () => {
    fakeFetch({
      'POST /api/auth/login': () => ({
        body: { token: 'tok-2', expiresAt: '2030-01-01T00:00:00Z', user: aUser() },
      }),
    });
    const session = useSession();
    await session.login('ada', 'a-long-password');
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('offline')));
    await session.signOut();
    expect(session.token).toBeNull();
  });
});
