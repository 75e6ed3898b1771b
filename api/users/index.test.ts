/**
 * User administration through the HTTP API: CRUD, search and paging, the
 * rules on deletion (devices become unassigned, no self-deletion) and the
 * validation a caller sees (409 duplicates, 400 with field paths).
 */

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testApp } from '../testing.ts';
import { useTestApp } from '../testing-hooks.ts';
import { insertUser } from './repo.ts';

const t = useTestApp();

const newUser = (username: string, extra: Record<string, unknown> = {}) => ({
  username,
  password: 'long-enough-password',
  name: `Name of ${username}`,
  role: 'client',
  ...extra,
});

async function createUser(username: string, extra: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/users', { body: newUser(username, extra) });
  expect(res.status).toBe(201);
  return (await res.json()) as Record<string, unknown> & { id: string };
}

describe('users CRUD', () => {
  it('creates a user (201) without exposing any password, then reads it back', async () => {
    const res = await t.request('POST', '/api/users', {
      body: newUser('ana', { email: 'ana@example.com' }),
    });
    expect(res.status).toBe(201);
    const user = await res.json();
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: 'ana',
      name: 'Name of ana',
      email: 'ana@example.com',
      role: 'client',
      notifyByEmail: false,
      createdAt: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(user.createdAt))).toBe(false);
    const got = await t.request('GET', `/api/users/${user.id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(user);
  });

  it('updates fields with PATCH, and the new password logs in', async () => {
    const user = await createUser('bogdan');
    const res = await t.request('PATCH', `/api/users/${user.id}`, {
      body: { name: 'Bogdan P.', email: 'b@example.com', password: 'a-brand-new-secret' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: user.id,
      username: 'bogdan',
      name: 'Bogdan P.',
      email: 'b@example.com',
    });
    const login = await t.request('POST', '/api/auth/login', {
      token: null,
      body: { username: 'bogdan', password: 'a-brand-new-secret' },
    });
    expect(login.status).toBe(200);
    const cleared = await t.request('PATCH', `/api/users/${user.id}`, { body: { email: null } });
    expect((await cleared.json()).email).toBeNull();
  });

  it('refuses a duplicate username with 409 on create and on rename', async () => {
    await createUser('dupe');
    const res = await t.request('POST', '/api/users', { body: newUser('dupe') });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: { code: 'conflict', message: expect.any(String) } });
    const other = await createUser('dupe2');
    const rename = await t.request('PATCH', `/api/users/${other.id}`, { body: { username: 'dupe' } });
    expect(rename.status).toBe(409);
    expect((await rename.json()).error.code).toBe('conflict');
  });

  it('answers 404 with the error body for an unknown user on GET, PATCH and DELETE', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, body] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']] as const) {
      const res = await t.request(method, `/api/users/${id}`, body ? { body } : {});
      expect(res.status, method).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
  });

  it('validates the body: empty password, bad role, unknown field → 400 with details', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [newUser('v1', { password: '' }), 'password'],
      [newUser('v2', { role: 'root' }), 'role'],
      [newUser('v3', { email: 'not-an-email' }), 'email'],
      [newUser('v 4'), 'username'],
    ];
    for (const [body, path] of cases) {
      const res = await t.request('POST', '/api/users', { body });
      expect(res.status, path).toBe(400);
      const err = (await res.json()).error;
      expect(err.code).toBe('invalid_request');
      expect(err.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const extra = await t.request('POST', '/api/users', { body: newUser('v5', { admin: true }) });
    expect(extra.status).toBe(400);
  });
});

describe('GET /api/users: search and paging', () => {
  it('pages with limit/offset, reports the total, and searches with q', async () => {
    for (const n of ['page_a', 'page_b', 'page_c']) await createUser(n, { name: `Pager ${n}` });
    const all = await t.request('GET', '/api/users?q=page_');
    expect(all.status).toBe(200);
    const body = await all.json();
    expect(body.total).toBe(3);
    expect(body.items.map((u: { username: string }) => u.username)).toEqual(['page_a', 'page_b', 'page_c']);
    const page = await (await t.request('GET', '/api/users?q=page_&limit=2&offset=1')).json();
    expect(page).toMatchObject({ total: 3 });
    expect(page.items.map((u: { username: string }) => u.username)).toEqual(['page_b', 'page_c']);
    expect(Object.keys(page.items[0])).not.toContain('total');
    const past = await (await t.request('GET', '/api/users?q=page_&limit=2&offset=7')).json();
    expect(past).toEqual({ items: [], total: 3 });
    // Search also matches the display name, case-insensitively.
    const byName = await (await t.request('GET', '/api/users?q=PAGER%20PAGE_B')).json();
    expect(byName.items.map((u: { username: string }) => u.username)).toEqual(['page_b']);
    // `_` is a literal, not a wildcard.
    const literal = await (await t.request('GET', '/api/users?q=page%5Fz')).json();
    expect(literal.total).toBe(0);
  });

  it('defaults the limit to 50 and allows at most 500', async () => {
    // Straight into the table: 52 password hashes through the API would take most of a minute.
    for (let i = 0; i < 52; i++) {
      await insertUser(t.db.sql, {
        id: randomUUID(),
        username: `bulk_${String(i).padStart(2, '0')}`,
        name: 'Bulk',
        email: null,
        role: 'client',
        passwordHash: 'not-a-real-hash',
      });
    }
    const res = await t.request('GET', '/api/users?q=bulk_');
    const body = await res.json();
    expect(body.total).toBe(52);
    expect(body.items).toHaveLength(50);
    expect((await t.request('GET', '/api/users?q=bulk_&limit=500')).status).toBe(200);
    for (const bad of ['limit=501', 'limit=0', 'limit=abc', 'offset=-1']) {
      const r = await t.request('GET', `/api/users?${bad}`);
      expect(r.status, bad).toBe(400);
      expect((await r.json()).error.code).toBe('invalid_request');
    }
  });

  it('never lists password hashes', async () => {
    const text = await (await t.request('GET', '/api/users?limit=500')).text();
    expect(text).not.toMatch(/password|hash|\$argon|scrypt/i);
  });
});

describe('DELETE /api/users/:id', () => {
  it('answers 204, and the user’s devices become unassigned', async () => {
    const client = await t.createClient();
    const device = await t.createDevice({ ownerId: client.id });
    expect(device.ownerId).toBe(client.id);
    const res = await t.request('DELETE', `/api/users/${client.id}`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await t.request('GET', `/api/users/${client.id}`)).status).toBe(404);
    const after = await (await t.request('GET', `/api/devices/${device.id}`)).json();
    expect(after.ownerId).toBeNull();
  });

  it('tells the dashboards and the device actors: alerts then go to admins only', async () => {
    const r = await testApp({ runtime: true });
    try {
      const client = await r.createClient();
      const device = await r.createDevice({ ownerId: client.id, maxHourlyKwh: 1 });
      const at = () => Math.max(Math.floor(Date.now() / 3_600_000) * 3_600_000, Date.now() - 1000);
      // Activate the actor while the client still owns the device.
      const first = await r.request('POST', '/api/readings', {
        body: { readings: [{ deviceId: device.id, timestamp: at(), value: 0.1 }] },
      });
      expect(first.status).toBe(202);
      await r.settle();

      expect((await r.request('DELETE', `/api/users/${client.id}`)).status).toBe(204);
      const updated = r.events.filter((e) => e.event === 'device:updated').at(-1);
      expect(updated?.rooms).toEqual(['admins']);
      expect(updated?.payload).toMatchObject({ id: device.id, ownerId: null });

      const over = await r.request('POST', '/api/readings', {
        body: { readings: [{ deviceId: device.id, timestamp: at() + 1, value: 5 }] },
      });
      expect(over.status).toBe(202);
      await r.settle();
      const alert = r.events.find((e) => e.event === 'alert');
      expect(alert?.rooms).toEqual(['admins']);
      expect(alert?.payload).toMatchObject({ deviceId: device.id, ownerId: null });
    } finally {
      await r.close();
    }
  });

  it('refuses an administrator deleting itself with 409, and it still exists', async () => {
    const res = await t.request('DELETE', `/api/users/${t.adminId}`);
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('conflict');
    expect((await t.request('GET', `/api/users/${t.adminId}`)).status).toBe(200);
  });

  it('refuses an administrator demoting itself with 409', async () => {
    const res = await t.request('PATCH', `/api/users/${t.adminId}`, { body: { role: 'client' } });
    expect(res.status).toBe(409);
    expect((await (await t.request('GET', `/api/users/${t.adminId}`)).json()).role).toBe('admin');
  });

  it('lets one admin delete another admin', async () => {
    const other = await createUser('second_admin', { role: 'admin' });
    expect((await t.request('DELETE', `/api/users/${other.id}`)).status).toBe(204);
  });
});

describe('access', () => {
  it('forbids clients every user route with 403', async () => {
    const client = await t.createClient();
    const calls: Array<[string, string, unknown?]> = [
      ['GET', '/api/users'],
      ['POST', '/api/users', newUser('sneaky')],
      ['GET', `/api/users/${client.id}`],
      ['PATCH', `/api/users/${client.id}`, { role: 'admin' }],
      ['DELETE', `/api/users/${t.adminId}`],
    ];
    for (const [method, path, body] of calls) {
      const res = await t.request(method, path, { token: client.token, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await res.json()).error.code).toBe('forbidden');
    }
    const me = await (await t.request('GET', '/api/auth/me', { token: client.token })).json();
    expect(me.role).toBe('client');
  });

  it('answers 401 without a token', async () => {
    const res = await t.request('GET', '/api/users', { token: null });
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('unauthorized');
  });
});
