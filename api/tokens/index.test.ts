/**
 * Personal access tokens: created once (the value shown only then), listed
 * without their values, usable as a bearer token, and dead (401) once
 * revoked. Each user manages only their own.
 */
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../testing-hooks.ts';

const t = useTestApp();

async function createPat(body: Record<string, unknown>, token?: string) {
  const res = await t.request('POST', '/api/tokens', { body, ...(token ? { token } : {}) });
  expect(res.status).toBe(201);
  return (await res.json()) as {
    id: string;
    name: string;
    token: string;
    createdAt: string;
    expiresAt: string | null;
  };
}

describe('personal access tokens', () => {
  it('creates a token (201) that authenticates as its user', async () => {
    const pat = await createPat({ name: 'ci script' });
    expect(pat).toEqual({
      id: expect.any(String),
      name: 'ci script',
      token: expect.stringMatching(/^ems_pat_.{20,}/),
      createdAt: expect.any(String),
      expiresAt: null,
    });
    const me = await t.request('GET', '/api/auth/me', { token: pat.token });
    expect(me.status).toBe(200);
    expect((await me.json()).id).toBe(t.adminId);
    // An admin's PAT can do admin things, e.g. list users.
    expect((await t.request('GET', '/api/users', { token: pat.token })).status).toBe(200);
  });

  it('sets expiresAt from expiresInDays', async () => {
    const before = Date.now();
    const pat = await createPat({ name: 'weekly', expiresInDays: 7 });
    const expires = Date.parse(pat.expiresAt!);
    expect(expires).toBeGreaterThanOrEqual(before + 7 * 86_400_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000 + 1000);
  });

  it('lists my tokens without their values', async () => {
    const client = await t.createClient();
    const a = await createPat({ name: 'first' }, client.token);
    const b = await createPat({ name: 'second', expiresInDays: 30 }, client.token);
    const res = await t.request('GET', '/api/tokens', { token: client.token });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(a.token);
    expect(text).not.toContain(b.token);
    expect(text).not.toContain('ems_pat_');
    const list = JSON.parse(text);
    expect(list.total).toBe(2);
    expect(list.items.map((i: { id: string }) => i.id).sort()).toEqual([a.id, b.id].sort());
    for (const item of list.items)
      expect(Object.keys(item).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'name']);
    // The admin's list does not include the client's tokens.
    const mine = await (await t.request('GET', '/api/tokens?limit=500')).json();
    expect(mine.items.map((i: { id: string }) => i.id)).not.toContain(a.id);
  });

  it('revokes with DELETE (204): the token then gets 401 and leaves the list', async () => {
    const pat = await createPat({ name: 'short-lived' });
    expect((await t.request('GET', '/api/auth/me', { token: pat.token })).status).toBe(200);
    const del = await t.request('DELETE', `/api/tokens/${pat.id}`);
    expect(del.status).toBe(204);
    const after = await t.request('GET', '/api/auth/me', { token: pat.token });
    expect(after.status).toBe(401);
    expect((await after.json()).error.code).toBe('unauthorized');
    const list = await (await t.request('GET', '/api/tokens?limit=500')).json();
    expect(list.items.map((i: { id: string }) => i.id)).not.toContain(pat.id);
    const again = await t.request('DELETE', `/api/tokens/${pat.id}`);
    expect(again.status).toBe(404);
  });

  it('does not let one user revoke another user’s token (404, still works)', async () => {
    const alice = await t.createClient();
    const bob = await t.createClient();
    const pat = await createPat({ name: 'alice' }, alice.token);
    const res = await t.request('DELETE', `/api/tokens/${pat.id}`, { token: bob.token });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
    expect((await t.request('GET', '/api/auth/me', { token: pat.token })).status).toBe(200);
  });

  it('a client PAT stays a client: 403 on admin routes', async () => {
    const client = await t.createClient();
    const pat = await createPat({ name: 'mine' }, client.token);
    expect((await t.request('GET', '/api/users', { token: pat.token })).status).toBe(403);
    expect((await t.request('GET', '/api/devices', { token: pat.token })).status).toBe(200);
  });

  it('validates the body and needs a signed-in user', async () => {
    for (const body of [
      {},
      { name: '' },
      { name: 'x', expiresInDays: 0 },
      { name: 'x', expiresInDays: 1.5 },
      { name: 'x', token: 'mine' },
    ]) {
      const res = await t.request('POST', '/api/tokens', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_request');
    }
    const anon = await t.request('POST', '/api/tokens', { token: null, body: { name: 'x' } });
    expect(anon.status).toBe(401);
    const device = await t.createDevice();
    const ingest = await (await t.request('POST', `/api/devices/${device.id}/tokens`)).json();
    const viaDevice = await t.request('POST', '/api/tokens', { token: ingest.token, body: { name: 'x' } });
    expect(viaDevice.status).toBe(401);
  });

  it('an expired token is refused with 401', async () => {
    const pat = await createPat({ name: 'soon', expiresInDays: 1 });
    await t.db.sql`update api_tokens set expires_at = now() - interval '1 minute' where id = ${pat.id}`;
    const res = await t.request('GET', '/api/auth/me', { token: pat.token });
    expect(res.status).toBe(401);
  });
});
