/**
 * Ending a session closes its sockets at once on every api node: two nodes on
 * real Redis (a random key prefix), the socket on the node that did NOT serve
 * the REST call. The periodic re-check is set to an hour, so only the
 * immediate path can pass these tests.
 */
import { describe, expect, it } from 'vitest';
import { type ApiNode, type ClientSocket, connect, useTwoNodeCluster } from './testing.ts';

const cluster = useTwoNodeCluster({ recheckMs: 3_600_000 });

async function call(node: ApiNode, method: string, path: string, token: string, body?: unknown) {
  return fetch(`${node.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
async function login(username: string, password = 'client-password'): Promise<string> {
  const res = await fetch(`${cluster.node1.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}
const disconnected = (s: ClientSocket) => new Promise<string>((resolve) => s.once('disconnect', resolve));

/** A new client signed in twice (through node 1), each login session with a socket on node 2. */
async function twoSessionsOnNode2() {
  const { username } = await cluster.t.createClient();
  const session = async () => {
    const token = await login(username);
    return { token, socket: await connect(cluster.node2.url, { token }) };
  };
  return [await session(), await session()] as const;
}

describe('ended sessions close their sockets on every node', () => {
  it('logout closes that token’s socket on the other node, not the user’s other session', async () => {
    const [{ token: a, socket: sa }, { socket: sb }] = await twoSessionsOnNode2();
    const gone = disconnected(sa);
    expect((await call(cluster.node1, 'POST', '/api/auth/logout', a)).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    expect(sb.connected).toBe(true);
    await expect(connect(cluster.node2.url, { token: a })).rejects.toThrow('unauthorized');
  });

  it('sessions/revoke closes every socket of the user (login token and PAT) on the other node', async () => {
    const { id, username } = await cluster.t.createClient();
    const jwt = await login(username);
    const pat = (await (await call(cluster.node1, 'POST', '/api/tokens', jwt, { name: 'x' })).json()) as {
      token: string;
    };
    const s1 = await connect(cluster.node2.url, { token: jwt });
    const s2 = await connect(cluster.node2.url, { token: pat.token });
    const gone = Promise.all([disconnected(s1), disconnected(s2)]);
    expect(
      (await call(cluster.node1, 'POST', `/api/users/${id}/sessions/revoke`, cluster.t.adminToken)).status,
    ).toBe(204);
    expect(await gone).toEqual(['io server disconnect', 'io server disconnect']);
  });

  it('a password change closes the other sessions’ sockets, and a demotion re-rooms the admin at once', async () => {
    const [{ token: mine, socket: keep }, { socket: end }] = await twoSessionsOnNode2();
    const gone = disconnected(end);
    const res = await call(cluster.node1, 'POST', '/api/auth/password', mine, {
      currentPassword: 'client-password',
      newPassword: 'another-long-secret',
    });
    expect(res.status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    expect(keep.connected).toBe(true);

    const admin = await cluster.t.createClient();
    await call(cluster.node1, 'PATCH', `/api/users/${admin.id}`, cluster.t.adminToken, { role: 'admin' });
    const adminSocket = await connect(cluster.node2.url, { token: admin.token });
    const demoted = disconnected(adminSocket);
    await call(cluster.node1, 'PATCH', `/api/users/${admin.id}`, cluster.t.adminToken, { role: 'client' });
    expect(await demoted).toBe('io server disconnect');
  });

  it('a device token revoked through one node is refused (401) by the other at once', async () => {
    const device = await cluster.t.createDevice();
    const issued = (await (
      await call(cluster.node1, 'POST', `/api/devices/${device.id}/tokens`, cluster.t.adminToken, {
        name: 'meter',
      })
    ).json()) as { id: string; token: string };
    const reading = {
      readings: [{ deviceId: device.id, timestamp: new Date(Date.now() - 60_000).toISOString(), value: 0.1 }],
    };
    expect((await call(cluster.node2, 'POST', '/api/readings', issued.token, reading)).status).toBe(202);
    const revoked = await call(
      cluster.node1,
      'DELETE',
      `/api/devices/${device.id}/tokens/${issued.id}`,
      cluster.t.adminToken,
    );
    expect(revoked.status).toBe(204);
    expect((await call(cluster.node2, 'POST', '/api/readings', issued.token, reading)).status).toBe(401);
  });
});
