import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../testing.ts';
import { hashPassword, setPasswordCost } from './passwords.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

async function login(username: string, password = 'client-password'): Promise<string> {
  const res = await t.request('POST', '/api/auth/login', { token: null, body: { username, password } });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()).token;
}
const me = async (token: string) => (await t.request('GET', '/api/auth/me', { token })).status;
async function pat(token: string): Promise<string> {
  const res = await t.request('POST', '/api/tokens', { token, body: { name: 'script' } });
  expect(res.status).toBe(201);
  return (await res.json()).token;
}

describe('sessions that end', () => {
  it('POST /api/auth/logout refuses that login token from then on, and only that one', async () => {
    const { username } = await t.createClient();
    const a = await login(username);
    const b = await login(username);
    expect((await t.request('POST', '/api/auth/logout', { token: a })).status).toBe(204);
    expect(await me(a)).toBe(401);
    expect(await me(b)).toBe(200);
  });

  it('POST /api/auth/password: wrong current → 403, weak → 400; then other login tokens end, the caller stays', async () => {
    const { username } = await t.createClient();
    const mine = await login(username);
    const other = await login(username);
    const token = await pat(mine);
    const wrong = await t.request('POST', '/api/auth/password', {
      token: mine,
      body: { currentPassword: 'not-it-at-all', newPassword: 'a-new-long-secret' },
    });
    expect(wrong.status).toBe(403);
    const weak = await t.request('POST', '/api/auth/password', {
      token: mine,
      body: { currentPassword: 'client-password', newPassword: 'short' },
    });
    expect(weak.status).toBe(400);
    expect((await weak.json()).error.details[0].path).toBe('newPassword');
    const ok = await t.request('POST', '/api/auth/password', {
      token: mine,
      body: { currentPassword: 'client-password', newPassword: 'a-new-long-secret' },
    });
    expect(ok.status).toBe(204);
    expect(await me(mine)).toBe(200);
    expect(await me(other)).toBe(401);
    expect(await me(token)).toBe(200); // personal access tokens are not login tokens
    await login(username, 'a-new-long-secret');
  });

  it('an admin setting a password ends that user’s login tokens', async () => {
    const { id, username } = await t.createClient();
    const before = await login(username);
    const res = await t.request('PATCH', `/api/users/${id}`, { body: { password: 'set-by-the-admin' } });
    expect(res.status).toBe(200);
    expect(await me(before)).toBe(401);
    await login(username, 'set-by-the-admin');
  });

  it('POST /api/users/:id/sessions/revoke ends login tokens and personal access tokens', async () => {
    const { id, username } = await t.createClient();
    const jwt = await login(username);
    const token = await pat(jwt);
    expect(await me(token)).toBe(200);
    const listed = await (await t.request('GET', `/api/users/${id}/tokens`)).json();
    expect(listed).toMatchObject({ total: 1, items: [{ name: 'script' }] });
    expect(JSON.stringify(listed)).not.toContain(token);
    const res = await t.request('POST', `/api/users/${id}/sessions/revoke`);
    expect(res.status).toBe(204);
    expect(await me(jwt)).toBe(401);
    expect(await me(token)).toBe(401);
    expect((await (await t.request('GET', `/api/users/${id}/tokens`)).json()).total).toBe(0);
    // Signing in again works.
    expect(await me(await login(username))).toBe(200);
  });

  it('sessions/revoke is for admins; unknown user → 404', async () => {
    const client = await t.createClient();
    expect(
      (await t.request('POST', `/api/users/${t.adminId}/sessions/revoke`, { token: client.token })).status,
    ).toBe(403);
    expect(
      (await t.request('POST', '/api/users/00000000-0000-4000-8000-000000000000/sessions/revoke')).status,
    ).toBe(404);
  });

  it('a personal access token cannot create personal access tokens', async () => {
    const { username } = await t.createClient();
    const token = await pat(await login(username));
    const res = await t.request('POST', '/api/tokens', { token, body: { name: 'again' } });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('forbidden');
  });

  it('PATCH /api/auth/me changes the caller’s name and e-mail, nothing else', async () => {
    const { username } = await t.createClient();
    const token = await login(username);
    const res = await t.request('PATCH', '/api/auth/me', {
      token,
      body: { name: 'New Name', email: 'n@example.com' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'New Name', email: 'n@example.com', role: 'client' });
    const bad = await t.request('PATCH', '/api/auth/me', { token, body: { role: 'admin' } });
    expect(bad.status).toBe(400);
  });
});

describe('transparent re-hash', () => {
  it('a hash made at a lower cost is replaced at the next successful login', async () => {
    const { id, username } = await t.createClient();
    setPasswordCost(12);
    const weak = await hashPassword('client-password');
    setPasswordCost(14);
    await t.db.sql`update users set password_hash = ${weak} where id = ${id}`;
    await login(username);
    const [row] = await t.db.sql<{ h: string }[]>`select password_hash as h from users where id = ${id}`;
    expect(row!.h).not.toBe(weak);
    expect(row!.h.split('$')[1]).toBe(String(2 ** 14));
    await login(username);
  });
});

describe('password policy', () => {
  it('8–200 characters and not the username, with a details path', async () => {
    for (const [password, username] of [
      ['short', 'policy_a'],
      ['x'.repeat(201), 'policy_b'],
      ['policy_c', 'policy_c'],
    ] as const) {
      const res = await t.request('POST', '/api/users', {
        body: { username, password, name: 'P', role: 'client' },
      });
      expect(res.status, password.slice(0, 10)).toBe(400);
      expect((await res.json()).error.details).toContainEqual({
        path: 'password',
        message: expect.any(String),
      });
    }
  });
});
