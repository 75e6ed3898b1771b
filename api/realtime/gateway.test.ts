/**
 * The gateway in single-process mode (in-memory event publisher): who may
 * connect, which rooms a socket hears, and sessions ending when their token
 * is revoked or expires, or their user is disconnected by the api.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { JwtService } from '../auth/jwt.ts';
import { issueLoginToken } from '../auth/sessions.ts';
import { disconnectUser } from './gateway.ts';
import { alertFor, connect, nextEvent, recorder, useApiNode } from './testing.ts';

const secret = randomBytes(32).toString('hex');
const api = useApiNode({
  app: { deps: { jwt: new JwtService(secret, 1) } },
  node: { recheckMs: 100 },
});
let alice: { id: string; token: string };
let bob: { id: string; token: string };

beforeAll(async () => {
  alice = await api.t.createClient();
  bob = await api.t.createClient();
});

describe('gateway', () => {
  it('refuses a missing, bad or device token with connect_error "unauthorized"', async () => {
    const device = await api.t.createDevice({ ownerId: alice.id });
    const res = await api.t.request('POST', `/api/devices/${device.id}/tokens`, { body: {} });
    const deviceToken = ((await res.json()) as { token: string }).token;
    for (const auth of [
      undefined,
      {},
      { token: '' },
      { token: 'not-a-jwt' },
      { token: 42 },
      { token: deviceToken },
    ]) {
      await expect(connect(api.node.url, auth)).rejects.toThrow('unauthorized');
    }
    const forged = await new JwtService('another-secret-of-enough-length', 1).sign({
      sub: alice.id,
      role: 'admin',
    });
    await expect(connect(api.node.url, { token: forged.token })).rejects.toThrow('unauthorized');
  });

  it('delivers an event to its rooms only: the owner and the admins, not another client', async () => {
    const a = await connect(api.node.url, { token: alice.token });
    const b = await connect(api.node.url, { token: bob.token });
    const admin = await connect(api.node.url, { token: api.t.adminToken });
    const bSeen = recorder(b);
    const alert = alertFor(alice.id);
    const toAlice = nextEvent(a, 'alert');
    const toAdmin = nextEvent(admin, 'alert');
    api.t.drivers.events.emit([`user:${alice.id}`, 'admins'], 'alert', alert);
    expect(await toAlice).toEqual(alert);
    expect(await toAdmin).toEqual(alert);

    // A later event to Bob arrives after anything sent before it: he must have had nothing else.
    const marker = alertFor(bob.id);
    const toBob = nextEvent(b, 'alert');
    api.t.drivers.events.emit([`user:${bob.id}`], 'alert', marker);
    expect(await toBob).toEqual(marker);
    expect(bSeen).toEqual([{ event: 'alert', payload: marker }]);
  });

  it('disconnects a socket whose personal access token is revoked, and refuses it afterwards', async () => {
    const created = await api.t.request('POST', '/api/tokens', {
      token: alice.token,
      body: { name: 'socket test' },
    });
    expect(created.status).toBe(201);
    const pat = (await created.json()) as { id: string; token: string };
    const socket = await connect(api.node.url, { token: pat.token });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    expect((await api.t.request('DELETE', `/api/tokens/${pat.id}`, { token: alice.token })).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    await expect(connect(api.node.url, { token: pat.token })).rejects.toThrow('unauthorized');
  });

  it('disconnects a socket whose login session ended elsewhere, at the next re-check', async () => {
    // Straight in the database, as if the node that ended it could not reach this one.
    const session = await issueLoginToken(api.t.deps, { id: alice.id, role: 'client' });
    const socket = await connect(api.node.url, { token: session.token });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    await api.t.db.sql`update login_sessions set revoked_at = now() where id = ${session.sessionId}`;
    expect(await gone).toBe('io server disconnect');
    await expect(connect(api.node.url, { token: session.token })).rejects.toThrow('unauthorized');
  });

  it('disconnects a socket when its login token expires', async () => {
    const shortLived = await issueLoginToken(
      api.t.deps,
      { id: alice.id, role: 'client' },
      new JwtService(secret, 1.5 / 3600),
    );
    const socket = await connect(api.node.url, { token: shortLived.token });
    const reason = await new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
    expect(Date.now()).toBeGreaterThanOrEqual(shortLived.expiresAt.getTime() - 1000);
  });

  it('disconnectUser ends every socket of that user and no other', async () => {
    const a1 = await connect(api.node.url, { token: alice.token });
    const a2 = await connect(api.node.url, { token: alice.token });
    const b = await connect(api.node.url, { token: bob.token });
    const gone = Promise.all([a1, a2].map((s) => new Promise((resolve) => s.once('disconnect', resolve))));
    disconnectUser(api.node.realtime.io, alice.id);
    await gone;
    const marker = alertFor(bob.id);
    const toBob = nextEvent(b, 'alert');
    api.t.drivers.events.emit([`user:${bob.id}`], 'alert', marker);
    expect(await toBob).toEqual(marker);
    expect(b.connected).toBe(true);
  });

  it('disconnects a socket whose user changes role, so its rooms are chosen again on reconnect', async () => {
    const dave = await api.t.createClient();
    const socket = await connect(api.node.url, { token: dave.token });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const patched = await api.t.request('PATCH', `/api/users/${dave.id}`, { body: { role: 'admin' } });
    expect(patched.status).toBe(200);
    expect(await gone).toBe('io server disconnect');
  });

  it('disconnects a socket whose user is deleted', async () => {
    const carol = await api.t.createClient();
    const socket = await connect(api.node.url, { token: carol.token });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect((await api.t.request('DELETE', `/api/users/${carol.id}`)).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
  });
});
