import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tokenStorage } from './api/http.ts';
import { createAppRouter } from './router.ts';
import { useSession } from './stores/session.ts';
import { aUser } from './test-data.ts';
import { apiError, fakeFetch } from './test-fetch.ts';

beforeEach(() => {
  localStorage.clear();
  setActivePinia(createPinia());
});
afterEach(() => vi.unstubAllGlobals());

/** A session stored from an earlier visit, and the server's answer when it is checked. */
function storedSession(token: string, me: Parameters<typeof fakeFetch>[0][string]): void {
  tokenStorage.set(token);
  useSession().token = token;
  fakeFetch({ 'GET /api/auth/me': me });
}

describe('routes', () => {
  it('sends a visitor without a session to sign-in, remembering where they were going', async () => {
    const router = createAppRouter();
    await router.push('/admin/devices');
    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query.redirect).toBe('/admin/devices');
  });

  it('keeps clients out of admin pages and starts them on their devices', async () => {
    storedSession('jwt', () => ({ body: aUser({ role: 'client' }) }));
    const router = createAppRouter();
    await router.push('/admin/users');
    expect(router.currentRoute.value.name).toBe('dashboard');
  });

  it('starts administrators on the fleet overview', async () => {
    storedSession('jwt', () => ({ body: aUser({ role: 'admin' }) }));
    const router = createAppRouter();
    await router.push('/');
    expect(router.currentRoute.value.name).toBe('admin-overview');
  });

  it('returns to sign-in when a stored token is no longer accepted', async () => {
    storedSession('expired', () => apiError(401, 'unauthorized', 'Token expired'));
    const router = createAppRouter();
    await router.push('/my');
    expect(router.currentRoute.value.name).toBe('login');
  });
});
