import { describe, expect, it } from 'vitest';
import { useTestApp } from '../testing-hooks.ts';

const t = useTestApp();

const loginFrom = (address: string, username: string, password: string) =>
  Promise.resolve(
    t.app.request(
      '/api/auth/login',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      },
      { incoming: { socket: { remoteAddress: address } } },
    ),
  );

describe('GET /api/audit', () => {
  it('records logins and failures with the client address, admin writes, and never a secret', async () => {
    const { id, username } = await t.createClient();
    expect((await loginFrom('192.0.2.44', username, 'wrong-password-1')).status).toBe(401);
    expect((await loginFrom('192.0.2.45', username, 'client-password')).status).toBe(200);
    await t.request('PATCH', `/api/users/${id}`, { body: { password: 'secret-set-by-admin' } });
    await t.request('POST', `/api/users/${id}/sessions/revoke`);
    const device = await t.createDevice();
    await t.request('PATCH', `/api/devices/${device.id}`, { body: { name: 'Renamed' } });
    const tok = await (
      await t.request('POST', `/api/devices/${device.id}/tokens`, { body: { name: 'm' } })
    ).json();
    await t.request('DELETE', `/api/devices/${device.id}/tokens/${tok.id}`);
    await t.request('DELETE', `/api/devices/${device.id}`);

    const res = await t.request('GET', '/api/audit?limit=500');
    expect(res.status).toBe(200);
    const body = await res.json();
    const text = JSON.stringify(body);
    for (const secret of ['wrong-password-1', 'client-password', 'secret-set-by-admin', 'ems_', 'scrypt'])
      expect(text).not.toContain(secret);
    const actions = body.items.map((e: { action: string }) => e.action);
    // What the requests above did, by target: each is in the log.
    const done = {
      user: ['create', 'update', 'sessions_revoke'],
      auth: ['login_failed', 'login'],
      device: ['create', 'update', 'delete'],
      device_token: ['create', 'revoke'],
    };
    for (const [target, verbs] of Object.entries(done))
      for (const verb of verbs) expect(actions).toContain(`${target}.${verb}`);
    const failed = body.items.find((e: { action: string }) => e.action === 'auth.login_failed');
    expect(failed).toMatchObject({ ip: '192.0.2.44', targetType: 'user', targetId: id, actor: null });
    const ok = body.items.find((e: { action: string }) => e.action === 'auth.login');
    expect(ok).toMatchObject({ ip: '192.0.2.45', actor: { id, username } });
    const create = body.items.find(
      (e: { action: string; targetId: string }) => e.action === 'user.create' && e.targetId === id,
    );
    expect(create.actor).toEqual({ id: t.adminId, username: 'root' });
    // Newest first.
    const times = body.items.map((e: { at: string }) => Date.parse(e.at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
  });

  it('filters by actor and action, pages, and is for admins only', async () => {
    const filtered = await (
      await t.request(`GET`, `/api/audit?action=user.create&actorId=${t.adminId}&limit=1`)
    ).json();
    expect(filtered.items).toHaveLength(1);
    expect(filtered.total).toBeGreaterThanOrEqual(1);
    expect(filtered.items[0]).toMatchObject({ action: 'user.create', actor: { id: t.adminId } });
    const client = await t.createClient();
    expect((await t.request('GET', '/api/audit', { token: client.token })).status).toBe(403);
    expect((await t.request('GET', '/api/audit?limit=abc')).status).toBe(400);
  });
});
