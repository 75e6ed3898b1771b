/**
 * The gateway in single-process mode (in-memory event publisher): who may
 * connect, which rooms a socket hears, and sessions ending when their token
 * is revoked or expires, or their user is disconnected by the api.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JwtService } from '../auth/jwt.ts';
import { issueLoginToken } from '../auth/sessions.ts';
import type { Alert } from '../contract.ts';
import { type TestApp, testApp } from '../testing.ts';
import { disconnectUser } from './gateway.ts';
import { type ApiNode, closeAllSockets, connect, nextEvent, recorder, startApiNode } from './testing.ts';

const secret = randomBytes(32).toString('hex');
let t: TestApp;
let node: ApiNode;
let alice: { id: string; token: string };
let bob: { id: string; token: string };

beforeAll(async () => {
  t = await testApp({ deps: { jwt: new JwtService(secret, 1) } });
  node = await startApiNode(t.deps, { memoryEvents: t.drivers.events, recheckMs: 100 });
  alice = await t.createClient();
  bob = await t.createClient();
});

afterEach(() => closeAllSockets());

afterAll(async () => {
  await node.close();
  await t.close();
});

const alertFor = (ownerId: string): Alert => ({
  id: crypto.randomUUID(),
  deviceId: crypto.randomUUID(),
  deviceName: 'Heater',
  ownerId,
  kind: 'exceeded',
  hourStart: '2026-01-10T10:00:00.000Z',
  kwh: 3.5,
  maxHourlyKwh: 2,
  late: false,
  createdAt: '2026-01-10T10:40:00.000Z',
  acknowledgedAt: null,
});

describe('gateway', () => {
  it('refuses a missing, bad or device token with connect_error "unauthorized"', async () => {
    const device = await t.createDevice({ ownerId: alice.id });
    const res = await t.request('POST', `/api/devices/${device.id}/tokens`, { body: {} });
    const deviceToken = ((await res.json()) as { token: string }).token;
    for (const auth of [
      undefined,
      {},
      { token: '' },
      { token: 'not-a-jwt' },
      { token: 42 },
      { token: deviceToken },
    ]) {
      await expect(connect(node.url, auth)).rejects.toThrow('unauthorized');
    }
    const forged = await new JwtService('another-secret-of-enough-length', 1).sign({
      sub: alice.id,
      role: 'admin',
    });
    await expect(connect(node.url, { token: forged.token })).rejects.toThrow('unauthorized');
  });

  it('delivers an event to its rooms only: the owner and the admins, not another client', async () => {
    const a = await connect(node.url, { token: alice.token });
    const b = await connect(node.url, { token: bob.token });
    const admin = await connect(node.url, { token: t.adminToken });
    const bSeen = recorder(b);
    const alert = alertFor(alice.id);
    const toAlice = nextEvent(a, 'alert');
    const toAdmin = nextEvent(admin, 'alert');
    t.drivers.events.emit([`user:${alice.id}`, 'admins'], 'alert', alert);
    expect(await toAlice).toEqual(alert);
    expect(await toAdmin).toEqual(alert);

    // A later event to Bob arrives after anything sent before it: he must have had nothing else.
    const marker = alertFor(bob.id);
    const toBob = nextEvent(b, 'alert');
    t.drivers.events.emit([`user:${bob.id}`], 'alert', marker);
    expect(await toBob).toEqual(marker);
    expect(bSeen).toEqual([{ event: 'alert', payload: marker }]);
  });

  it('disconnects a socket whose personal access token is revoked, and refuses it afterwards', async () => {
    const created = await t.request('POST', '/api/tokens', {
      token: alice.token,
      body: { name: 'socket test' },
    });
    expect(created.status).toBe(201);
    const pat = (await created.json()) as { id: string; token: string };
    const socket = await connect(node.url, { token: pat.token });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    expect((await t.request('DELETE', `/api/tokens/${pat.id}`, { token: alice.token })).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    await expect(connect(node.url, { token: pat.token })).rejects.toThrow('unauthorized');
  });

  it('disconnects a socket whose login session ended elsewhere, at the next re-check', async () => {
    // Straight in the database, as if the node that ended it could not reach this one.
    const session = await issueLoginToken(t.deps, { id: alice.id, role: 'client' });
    const socket = await connect(node.url, { token: session.token });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    await t.db.sql`update login_sessions set revoked_at = now() where id = ${session.sessionId}`;
    expect(await gone).toBe('io server disconnect');
    await expect(connect(node.url, { token: session.token })).rejects.toThrow('unauthorized');
  });

  it('disconnects a socket when its login token expires', async () => {
    const shortLived = await issueLoginToken(
      t.deps,
      { id: alice.id, role: 'client' },
      new JwtService(secret, 1.5 / 3600),
    );
    const socket = await connect(node.url, { token: shortLived.token });
    const reason = await new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
    expect(Date.now()).toBeGreaterThanOrEqual(shortLived.expiresAt.getTime() - 1000);
  });

  it('disconnectUser ends every socket of that user and no other', async () => {
    const a1 = await connect(node.url, { token: alice.token });
    const a2 = await connect(node.url, { token: alice.token });
    const b = await connect(node.url, { token: bob.token });
    const gone = Promise.all([a1, a2].map((s) => new Promise((resolve) => s.once('disconnect', resolve))));
    disconnectUser(node.realtime.io, alice.id);
    await gone;
    const marker = alertFor(bob.id);
    const toBob = nextEvent(b, 'alert');
    t.drivers.events.emit([`user:${bob.id}`], 'alert', marker);
    expect(await toBob).toEqual(marker);
    expect(b.connected).toBe(true);
  });

  it('disconnects a socket whose user changes role, so its rooms are chosen again on reconnect', async () => {
    const dave = await t.createClient();
    const socket = await connect(node.url, { token: dave.token });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const patched = await t.request('PATCH', `/api/users/${dave.id}`, { body: { role: 'admin' } });
    expect(patched.status).toBe(200);
    expect(await gone).toBe('io server disconnect');
  });

  it('disconnects a socket whose user is deleted', async () => {
    const carol = await t.createClient();
    const socket = await connect(node.url, { token: carol.token });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect((await t.request('DELETE', `/api/users/${carol.id}`)).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
  });
});
