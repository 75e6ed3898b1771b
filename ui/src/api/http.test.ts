import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useSession } from '../stores/session.ts';
import { apiError, fakeFetch } from '../test-fetch.ts';
import { ApiError, onUnauthorized, request, tokenStorage } from './http.ts';

beforeEach(() => {
  localStorage.clear();
  setActivePinia(createPinia());
});
afterEach(() => {
  onUnauthorized(null);
  vi.unstubAllGlobals();
});

describe('request', () => {
  it('sends the stored token as a bearer and JSON bodies', async () => {
    tokenStorage.set('tok-1');
    const fake = fakeFetch({ 'POST /api/devices': () => ({ status: 201, body: { id: 'x' } }) });
    await expect(request('POST', '/devices', { body: { name: 'A' } })).resolves.toEqual({ id: 'x' });
    expect(fake.calls[0]?.headers.authorization).toBe('Bearer tok-1');
    expect(fake.calls[0]?.body).toEqual({ name: 'A' });
  });

  it('turns the API error body into a typed ApiError with field details', async () => {
    fakeFetch({
      'POST /api/devices': () =>
        apiError(400, 'invalid_request', 'maxHourlyKwh must be a number', [
          { path: 'maxHourlyKwh', message: 'Expected number' },
        ]),
    });
    const error = await request('POST', '/devices', { body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid_request',
      message: 'maxHourlyKwh must be a number',
    });
    expect((error as ApiError).detailFor('maxHourlyKwh')).toBe('Expected number');
  });

  it('reports a server that answers no JSON with its status', async () => {
    vi.stubGlobal('fetch', async () => new Response('<html>bad gateway</html>', { status: 502 }));
    await expect(request('GET', '/devices')).rejects.toMatchObject({ status: 502, code: 'unavailable' });
  });

  it('reports an unreachable server as a network error', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(request('GET', '/devices')).rejects.toMatchObject({ code: 'network_error' });
  });

  it('ends the session on 401 with a message for the sign-in page', async () => {
    const session = useSession();
    tokenStorage.set('stale');
    session.token = 'stale';
    onUnauthorized(() => session.expire());
    fakeFetch({ 'GET /api/alerts': () => apiError(401, 'unauthorized', 'Token expired') });
    await expect(request('GET', '/alerts')).rejects.toMatchObject({ code: 'unauthorized' });
    expect(session.token).toBeNull();
    expect(localStorage.getItem('ems.token')).toBeNull();
    expect(session.notice).toMatch(/session has expired/);
  });
});

describe('session', () => {
  it('keeps the token from a sign-in in localStorage', async () => {
    fakeFetch({
      'POST /api/auth/login': () => ({
        body: {
          token: 'jwt-1',
          expiresAt: '2026-12-01T00:00:00Z',
          user: {
            id: 'u',
            username: 'ada',
            name: 'Ada',
            email: null,
            role: 'client',
            createdAt: '2026-01-01T00:00:00Z',
          },
        },
      }),
    });
    const session = useSession();
    await session.login('ada', 'pw');
    expect(localStorage.getItem('ems.token')).toBe('jwt-1');
    expect(session.signedIn).toBe(true);
    expect(session.isAdmin).toBe(false);
  });

  it('treats wrong credentials as a failed sign-in, not an expired session', async () => {
    const handler = vi.fn();
    onUnauthorized(handler);
    fakeFetch({ 'POST /api/auth/login': () => apiError(401, 'unauthorized', 'Wrong username or password') });
    const session = useSession();
    await expect(session.login('ada', 'nope')).rejects.toMatchObject({ status: 401 });
    expect(handler).not.toHaveBeenCalled();
    expect(session.token).toBeNull();
  });

  it('restores the user behind a stored token', async () => {
    tokenStorage.set('jwt-2');
    fakeFetch({
      'GET /api/auth/me': () => ({
        body: {
          id: 'a',
          username: 'root',
          name: 'Root',
          email: null,
          role: 'admin',
          createdAt: '2026-01-01T00:00:00Z',
        },
      }),
    });
    const session = useSession();
    await expect(session.restore()).resolves.toBe(true);
    expect(session.isAdmin).toBe(true);
  });
});
