/**
 * Invariant 9 through the composition root: two real `ems api` processes over
 * one Postgres and one Redis, each with its principal cache wired to the Redis
 * access-change bus by cli/api-role.ts. Node 2 has served the credential (so
 * it is cached) before node 1 ends it; node 2's next request is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, type Cluster, client, type NodeProcess, startCluster } from './testing/cluster.ts';

let cluster: Cluster;
let api1: NodeProcess;
let api2: NodeProcess;
let admin: string;

beforeAll(async () => {
  cluster = await startCluster({ shards: 4 });
  api1 = await cluster.start('api');
  api2 = await cluster.start('api');
  admin = await adminToken(api1.url);
});
afterAll(async () => {
  await cluster?.close();
});

describe('ems api nodes drop cached principals when access changes on another node', () => {
  it('a revoked PAT, a signed-out session and a demoted admin are refused by node 2 at once', async () => {
    const user = await client(api1.url, admin)<{ id: string }>('POST', '/api/users', {
      username: 'casey',
      password: 'casey-password',
      name: 'Casey',
      role: 'admin',
    });
    expect(user.status).toBe(201);
    const login = async () =>
      (
        await client(api1.url)<{ token: string }>('POST', '/api/auth/login', {
          username: 'casey',
          password: 'casey-password',
        })
      ).body.token;
    const [jwt, other] = [await login(), await login()];
    const pat = (
      await client(api1.url, jwt)<{ id: string; token: string }>('POST', '/api/tokens', { name: 'x' })
    ).body;
    const onNode2 = async (token: string, path = '/api/devices') =>
      (await client(api2.url, token)('GET', path)).status;
    expect(await onNode2(pat.token)).toBe(200);
    expect(await onNode2(jwt)).toBe(200);
    expect(await onNode2(other, '/api/users')).toBe(200);

    expect((await client(api1.url, jwt)('DELETE', `/api/tokens/${pat.id}`)).status).toBe(204);
    expect(await onNode2(pat.token)).toBe(401);
    expect((await client(api1.url, jwt)('POST', '/api/auth/logout')).status).toBe(204);
    expect(await onNode2(jwt)).toBe(401);
    expect(
      (await client(api1.url, admin)('PATCH', `/api/users/${user.body.id}`, { role: 'client' })).status,
    ).toBe(200);
    expect(await onNode2(other, '/api/users')).toBe(403);
  });
});
