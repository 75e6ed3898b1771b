import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../testing.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

describe('POST /api/auth/login', () => {
  it('returns a token, its expiry and the user, and the token works', async () => {
    const res = await t.request('POST', '/api/auth/login', {
      token: null,
      body: { username: 'root', password: 'root-password' },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.user).toMatchObject({ username: 'root', role: 'admin' });
    expect(body.user.password).toBeUndefined();
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    const me = await t.request('GET', '/api/auth/me', { token: body.token });
    expect(me.status).toBe(200);
    expect((await me.json()).id).toBe(t.adminId);
  });

  it('refuses wrong credentials with 401 and the error body', async () => {
    const res = await t.request('POST', '/api/auth/login', {
      token: null,
      body: { username: 'root', password: 'nope-nope' },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it('throttles repeated failures with 429 and Retry-After', async () => {
    await t.createClient('victim');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await t.request('POST', '/api/auth/login', {
        token: null,
        body: { username: 'victim', password: `wrong-${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect((await res.json()).error.code).toBe('too_many_requests');
      }
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // Even the right password is throttled while the window lasts.
    const ok = await t.request('POST', '/api/auth/login', {
      token: null,
      body: { username: 'victim', password: 'client-password' },
    });
    expect(ok.status).toBe(429);
  });

  it('refuses bad bodies with 400 and field details', async () => {
    for (const raw of ['', '{', '[]', '{"username": 5}', 'null']) {
      const res = await t.request('POST', '/api/auth/login', { token: null, raw });
      expect(res.status, raw).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_request');
    }
    const res = await t.request('POST', '/api/auth/login', { token: null, body: { username: 'root' } });
    expect((await res.json()).error.details).toEqual([{ path: 'password', message: expect.any(String) }]);
  });
});

describe('authentication of requests', () => {
  const secret = () => new TextEncoder().encode('some-other-secret-that-is-long');

  it('401 without a token, with garbage, forged, expired and alg:none tokens', async () => {
    const forged = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(t.adminId)
      .setIssuer('ems')
      .setExpirationTime('1h')
      .sign(secret());
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ sub: t.adminId, role: 'admin', iss: 'ems', exp: 9e9 }),
    ).toString('base64url');
    const none = `${header}.${payload}.`;
    const expired = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(t.adminId)
      .setIssuer('ems')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(secret());
    for (const token of [null, 'garbage', forged, none, expired, 'ems_pat_nope', 'ems_dev_nope']) {
      const res = await t.request('GET', '/api/devices', { token });
      expect(res.status, String(token)).toBe(401);
      expect((await res.json()).error.code).toBe('unauthorized');
    }
  });

  it('decides who may call before validating what was sent', async () => {
    const noToken = await t.request('POST', '/api/readings', { token: null, body: { readings: [] } });
    expect(noToken.status).toBe(401);
    const client = await t.createClient();
    const asClient = await t.request('POST', '/api/readings', {
      token: client.token,
      body: { readings: [] },
    });
    expect(asClient.status).toBe(403);
    const badQuery = await t.request('GET', '/api/users?limit=abc', { token: null });
    expect(badQuery.status).toBe(401);
  });

  it('a device ingest token authenticates nowhere but POST /api/readings', async () => {
    const device = await t.createDevice();
    const res = await t.request('POST', `/api/devices/${device.id}/tokens`);
    const { token } = await res.json();
    for (const path of [
      '/api/auth/me',
      '/api/devices',
      '/api/chat/conversations',
      '/api/tokens',
      '/api/alerts',
    ]) {
      const r = await t.request('GET', path, { token });
      expect(r.status, path).toBe(401);
    }
  });

  it('403 for a client on admin routes', async () => {
    const client = await t.createClient();
    const res = await t.request('GET', '/api/users', { token: client.token });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('forbidden');
  });

  it('a deleted user’s token stops working', async () => {
    const client = await t.createClient();
    expect((await t.request('DELETE', `/api/users/${client.id}`)).status).toBe(204);
    expect((await t.request('GET', '/api/auth/me', { token: client.token })).status).toBe(401);
  });
});
