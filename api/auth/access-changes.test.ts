/**
 * Invariant 9 with the principal cache in place: two api apps over one
 * Postgres and one Redis (a random channel), each with its own cache and its
 * own subscription. Node 2 has served the credential (so it is cached) before
 * node 1 ends or narrows it; node 2's very next request must be refused.
 * Node 2's caches (principals, device lists) run on a fake clock that never
 * moves unless a test moves it, so only the announcement (or the bus-down
 * rule) can make these pass — the first tests show that a change nobody
 * announces IS served from cache.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../../faults/tcp-proxy.ts';
import { createApp } from '../app.ts';
import { RedisDeviceInvalidations } from '../readings/device-invalidations.ts';
import { TEST_REDIS_URL, type TestApp, testApp } from '../testing.ts';
import { type AccessChangeListener, RedisAccessChanges } from './access-changes.ts';

const TTL_MS = 10_000;
let t: TestApp;
let redis: Redis;
let proxy: TcpProxy;
let node2Redis: Redis;
let bus1: RedisAccessChanges;
let bus2: RedisAccessChanges;
let devices1: RedisDeviceInvalidations;
let devices2: RedisDeviceInvalidations;
let node2: ReturnType<typeof createApp>['app'];
let clock = 1_000_000;

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL);
  const prefix = `ems-test-${randomBytes(4).toString('hex')}`;
  // Node 2 reaches Redis through a proxy a test can cut.
  proxy = await startTcpProxy('127.0.0.1', Number(new URL(TEST_REDIS_URL).port || 6379));
  node2Redis = new Redis(proxy.url(TEST_REDIS_URL), { retryStrategy: () => 50 });
  node2Redis.on('error', () => {});
  bus1 = new RedisAccessChanges(redis, `${prefix}:access:changed`);
  bus2 = new RedisAccessChanges(node2Redis, `${prefix}:access:changed`);
  devices1 = new RedisDeviceInvalidations(redis, `${prefix}:devices:deleted`);
  devices2 = new RedisDeviceInvalidations(redis, `${prefix}:devices:deleted`);
  await Promise.all([bus1.ready(), bus2.ready(), devices1.ready(), devices2.ready()]);
  // Node 1 is the test app itself (t.request).
  t = await testApp({ deps: { accessChanges: bus1, deviceInvalidations: devices1 } });
  node2 = createApp({
    ...t.deps,
    accessChanges: bus2,
    deviceInvalidations: devices2,
    principalCache: { ttlMs: TTL_MS, now: () => clock },
    deviceListCache: { ttlMs: TTL_MS, now: () => clock },
  }).app;
});
afterAll(async () => {
  await t.close();
  await Promise.all([bus1.close(), bus2.close(), devices1.close(), devices2.close()]);
  await redis.quit();
  node2Redis.disconnect();
  await proxy.close();
});

const onNode2 = async (method: string, path: string, token: string, body?: unknown) =>
  (
    await node2.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  ).status;

/** Node 2's answers to GET /api/devices with each token, asked one after another. */
async function devicesOnNode2(...tokens: string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const token of tokens) statuses.push(await onNode2('GET', '/api/devices', token));
  return statuses;
}

async function login(username: string): Promise<{ token: string }> {
  const res = await t.request('POST', '/api/auth/login', {
    token: null,
    body: { username, password: 'client-password' },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { token: string };
}

async function newPat(token: string): Promise<{ id: string; token: string }> {
  const res = await t.request('POST', '/api/tokens', { token, body: { name: 'automation' } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; token: string };
}

/** Resolves the next time `bus` reports whether changes reach it, with that state. */
function nextDeliveryState(bus: RedisAccessChanges, want: boolean): Promise<void> {
  return new Promise((resolve) => {
    let stop = () => {};
    const listener: AccessChangeListener = {
      change: () => {},
      delivering: (up) => {
        if (up === want) {
          queueMicrotask(() => stop());
          resolve();
        }
      },
    };
    stop = bus.subscribe(listener);
  });
}

describe('a change on node 1 is refused on node 2 at the very next request', () => {
  it('(the cache is real) a revoke written straight into the database is served from node 2’s cache until the TTL', async () => {
    const alice = await t.createClient();
    const pat = await newPat(alice.token);
    expect(await onNode2('GET', '/api/auth/me', pat.token)).toBe(200);
    await t.db.sql`update api_tokens set revoked_at = now() where id = ${pat.id}`;
    expect(await onNode2('GET', '/api/auth/me', pat.token)).toBe(200);
    clock += TTL_MS;
    expect(await onNode2('GET', '/api/auth/me', pat.token)).toBe(401);
  });

  it('a revoked personal access token', async () => {
    const alice = await t.createClient();
    const pat = await newPat(alice.token);
    expect(await devicesOnNode2(pat.token)).toEqual([200]);
    expect((await t.request('DELETE', `/api/tokens/${pat.id}`, { token: alice.token })).status).toBe(204);
    expect(await devicesOnNode2(pat.token)).toEqual([401]);
  });

  it('a signed-out session, and not the user’s other session', async () => {
    const alice = await t.createClient();
    const one = await login(alice.username);
    const two = await login(alice.username);
    expect(await devicesOnNode2(one.token, two.token)).toEqual([200, 200]);
    expect((await t.request('POST', '/api/auth/logout', { token: one.token })).status).toBe(204);
    expect(await devicesOnNode2(one.token, two.token)).toEqual([401, 200]);
  });

  it('a demoted admin loses admin rights; a promoted client gains them', async () => {
    const bob = await t.createClient();
    const { token } = await login(bob.username);
    expect(await onNode2('GET', '/api/users', token)).toBe(403);
    const promote = await t.request('PATCH', `/api/users/${bob.id}`, { body: { role: 'admin' } });
    expect(promote.status).toBe(200);
    expect(await onNode2('GET', '/api/users', token)).toBe(200);
    const demote = await t.request('PATCH', `/api/users/${bob.id}`, { body: { role: 'client' } });
    expect(demote.status).toBe(200);
    expect(await onNode2('GET', '/api/users', token)).toBe(403);
  });

  it('a deleted user, with a login token and a PAT', async () => {
    const carol = await t.createClient();
    const pat = await newPat(carol.token);
    expect(await devicesOnNode2(carol.token, pat.token)).toEqual([200, 200]);
    expect((await t.request('DELETE', `/api/users/${carol.id}`)).status).toBe(204);
    expect(await devicesOnNode2(carol.token, pat.token)).toEqual([401, 401]);
  });

  it('a password change (other sessions) and "sign out everywhere" (every session and PAT)', async () => {
    const dave = await t.createClient();
    const mine = await login(dave.username);
    const other = await login(dave.username);
    expect(await devicesOnNode2(other.token)).toEqual([200]);
    const changed = await t.request('POST', '/api/auth/password', {
      token: mine.token,
      body: { currentPassword: 'client-password', newPassword: 'another-long-secret' },
    });
    expect(changed.status).toBe(204);
    expect(await devicesOnNode2(other.token, mine.token)).toEqual([401, 200]);

    const pat = await newPat(mine.token);
    expect(await devicesOnNode2(pat.token)).toEqual([200]);
    expect((await t.request('POST', `/api/users/${dave.id}/sessions/revoke`)).status).toBe(204);
    expect(await devicesOnNode2(mine.token, pat.token)).toEqual([401, 401]);
  });

  it('GET /api/me shows a profile or role edited on the other node', async () => {
    const erin = await t.createClient();
    const me = () => node2.request('/api/auth/me', { headers: { authorization: `Bearer ${erin.token}` } });
    expect((await (await me()).json()).name).toBe(`Client ${erin.username}`);
    const own = await t.request('PATCH', '/api/auth/me', { token: erin.token, body: { name: 'Erin' } });
    expect(own.status).toBe(200);
    expect((await (await me()).json()).name).toBe('Erin');
    expect((await t.request('PATCH', `/api/users/${erin.id}`, { body: { name: 'E. R.' } })).status).toBe(200);
    expect((await (await me()).json()).name).toBe('E. R.');
  });

  it('a revoked device token, and the tokens of a deleted device', async () => {
    const device = await t.createDevice();
    const issue = async () =>
      (await (await t.request('POST', `/api/devices/${device.id}/tokens`)).json()) as {
        id: string;
        token: string;
      };
    const [a, b] = [await issue(), await issue()];
    const post = (token: string) =>
      onNode2('POST', '/api/readings', token, {
        readings: [{ deviceId: device.id, timestamp: Date.now() - 60_000, value: 0.1 }],
      });
    expect(await post(a.token)).toBe(202);
    expect(await post(b.token)).toBe(202);
    expect((await t.request('DELETE', `/api/devices/${device.id}/tokens/${a.id}`)).status).toBe(204);
    expect(await post(a.token)).toBe(401);
    expect(await post(b.token)).toBe(202);
    expect((await t.request('DELETE', `/api/devices/${device.id}`)).status).toBe(204);
    expect(await post(b.token)).toBe(401);
  });
});

/** The names node 2 lists for `token` (a page it may have cached). */
async function namesOnNode2(token: string, query = ''): Promise<string[]> {
  const res = await node2.request(`/api/devices${query}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Array<{ name: string }> }).items.map((d) => d.name);
}

describe('a device list cached on node 2 shows a change made on node 1 at the very next request', () => {
  const mark = () => `list-${randomBytes(4).toString('hex')}`;

  it('(the cache is real) a rename written straight into the database is served from node 2’s cache until the TTL', async () => {
    const q = mark();
    const { id } = await t.createDevice({ name: `${q} a` });
    expect(await namesOnNode2(t.adminToken, `?q=${q}`)).toEqual([`${q} a`]);
    await t.db.sql`update devices set name = ${`${q} b`} where id = ${id}`;
    expect(await namesOnNode2(t.adminToken, `?q=${q}`)).toEqual([`${q} a`]);
    clock += TTL_MS;
    expect(await namesOnNode2(t.adminToken, `?q=${q}`)).toEqual([`${q} b`]);
  });

  it('a device created, renamed, assigned, unassigned by deleting its owner, and deleted', async () => {
    const q = mark();
    const owner = await t.createClient();
    const admins = () => namesOnNode2(t.adminToken, `?q=${q}`);
    const owners = () => namesOnNode2(owner.token, `?q=${q}`);
    expect(await admins()).toEqual([]);
    expect(await owners()).toEqual([]);
    const { id } = await t.createDevice({ name: `${q} 1` });
    expect(await admins()).toEqual([`${q} 1`]);
    expect((await t.request('PATCH', `/api/devices/${id}`, { body: { name: `${q} 2` } })).status).toBe(200);
    expect(await admins()).toEqual([`${q} 2`]);
    expect((await t.request('PATCH', `/api/devices/${id}`, { body: { ownerId: owner.id } })).status).toBe(
      200,
    );
    expect(await owners()).toEqual([`${q} 2`]);
    const unassigned = () => namesOnNode2(t.adminToken, `?q=${q}&unassigned=true`);
    expect(await unassigned()).toEqual([]);
    expect((await t.request('DELETE', `/api/users/${owner.id}`)).status).toBe(204);
    expect(await unassigned()).toEqual([`${q} 2`]);
    expect((await t.request('DELETE', `/api/devices/${id}`)).status).toBe(204);
    expect(await admins()).toEqual([]);
  });

  it('while node 2 cannot hear changes it reads every list from the database', async () => {
    const q = mark();
    const { id } = await t.createDevice({ name: `${q} a` });
    expect(await namesOnNode2(t.adminToken, `?q=${q}`)).toEqual([`${q} a`]);
    const down = nextDeliveryState(bus2, false);
    proxy.partition();
    await down;
    try {
      // Neither an announced change (it cannot arrive) nor a silent one is missed.
      expect((await t.request('PATCH', `/api/devices/${id}`, { body: { name: `${q} b` } })).status).toBe(200);
      expect(await namesOnNode2(t.adminToken, `?q=${q}`)).toEqual([`${q} b`]);
      await t.db.sql`update devices set name = ${`${q} c`} where id = ${id}`;
      expect(await namesOnNode2(t.adminToken, `?q=${q}`)).toEqual([`${q} c`]);
    } finally {
      const up = nextDeliveryState(bus2, true);
      proxy.heal();
      await up;
    }
  });
});

describe('the bus', () => {
  it('publish settles only once the other node has applied the change (acknowledged, not timed out)', async () => {
    const channel = `ems-test-${randomBytes(4).toString('hex')}:access:changed`;
    const a = new RedisAccessChanges(redis, channel, undefined, { ackTimeoutMs: 3_600_000 });
    const b = new RedisAccessChanges(redis, channel);
    await Promise.all([a.ready(), b.ready()]);
    const heard: unknown[] = [];
    b.subscribe({ change: (c) => heard.push(c) });
    try {
      await a.publish({ sessions: ['s-1'] });
      expect(heard).toEqual([
        { users: [], sessions: ['s-1'], tokens: [], devices: [], deviceRows: [], all: false },
      ]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('an unreadable message drops everything', async () => {
    const channel = `ems-test-${randomBytes(4).toString('hex')}:access:changed`;
    const b = new RedisAccessChanges(redis, channel);
    await b.ready();
    const heard = new Promise((resolve) => b.subscribe({ change: resolve }));
    try {
      await redis.publish(channel, '{"users": "not-a-list"}');
      expect(await heard).toEqual({ all: true });
    } finally {
      await b.close();
    }
  });
});

describe('a lost subscription does not leave node 2 serving stale principals', () => {
  it('while node 2 cannot hear changes its cache is off; when it hears them again it caches again', async () => {
    const frank = await t.createClient();
    const pat = await newPat(frank.token);
    const other = await newPat(frank.token);
    expect(await devicesOnNode2(pat.token, other.token)).toEqual([200, 200]);

    const down = nextDeliveryState(bus2, false);
    proxy.partition();
    await down;
    // The announcement goes out on node 1's healthy connection, and never reaches node 2.
    expect((await t.request('DELETE', `/api/tokens/${pat.id}`, { token: frank.token })).status).toBe(204);
    expect(await devicesOnNode2(pat.token, other.token)).toEqual([401, 200]);

    const up = nextDeliveryState(bus2, true);
    proxy.heal();
    await up;
    // Caching again: a revoke nobody announces is now served from node 2's cache (until the TTL).
    expect(await devicesOnNode2(other.token)).toEqual([200]);
    await t.db.sql`update api_tokens set revoked_at = now() where id = ${other.id}`;
    expect(await devicesOnNode2(other.token)).toEqual([200]);
    // And an announced change reaches it again.
    const third = await newPat(frank.token);
    expect(await devicesOnNode2(third.token)).toEqual([200]);
    expect((await t.request('DELETE', `/api/tokens/${third.id}`, { token: frank.token })).status).toBe(204);
    expect(await devicesOnNode2(third.token)).toEqual([401]);
  });
});
