/**
 * What a read costs the database (issue #14): `GET /api/devices` with a token
 * this node has resolved before is one statement — no credential lookup (the
 * principal cache) and the page with its total in one query (db/page.ts) — and
 * asked again before anything changed, none (the device list cache).
 * Counted with postgres.js's `debug` hook on a connection of the app's own.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sql } from '../../db/connect.ts';
import type { ShardQueueProducer } from '../../runtime/types.ts';
import { createApp } from '../app.ts';
import { TEST_DATABASE_URL, type TestApp, testApp } from '../testing.ts';

let t: TestApp;
let counted: Sql;
let statements: string[] = [];

beforeAll(async () => {
  t = await testApp();
  counted = postgres(`${TEST_DATABASE_URL}?search_path=${t.db.schema}`, {
    max: 2,
    onnotice: () => {},
    debug: (_connection, query) => statements.push(query),
  }) as unknown as Sql;
});
afterAll(async () => {
  await counted.end();
  await t.close();
});

it('GET /api/devices is one statement, then none until a device changes, for a login token and a personal access token', async () => {
  const { app } = createApp({ ...t.deps, sql: counted });
  const owner = await t.createClient();
  for (const name of ['A', 'B', 'C']) await t.createDevice({ name, ownerId: owner.id });
  const pat = (
    await (await t.request('POST', '/api/tokens', { token: owner.token, body: { name: 'x' } })).json()
  ).token as string;
  const get = async (token: string, query = '') => {
    const res = await app.request(`/api/devices${query}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return (await res.json()) as { total: number; items: Array<{ name: string }> };
  };
  for (const [token, query] of [
    [owner.token, ''],
    [pat, '?limit=2'],
    [t.adminToken, '?q=B'],
  ] as const) {
    await get(token, '?offset=1'); // resolves the token once
    statements = [];
    const page = await get(token, query);
    expect(page.total).toBeGreaterThanOrEqual(1);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/left join lateral/);
    statements = [];
    expect(await get(token, query)).toEqual(page);
    expect(statements).toHaveLength(0);
  }
  // A change made through the api (on any app of this process: one bus) is read again.
  const [first] = (await get(owner.token)).items;
  expect(first?.name).toBe('A');
  const id = ((await get(t.adminToken, '?q=A')) as unknown as { items: Array<{ id: string }> }).items[0]!.id;
  expect((await t.request('PATCH', `/api/devices/${id}`, { body: { name: 'A renamed' } })).status).toBe(200);
  statements = [];
  expect((await get(owner.token)).items[0]?.name).toBe('A renamed');
  expect(statements).toHaveLength(1);
});

it('HEAD of a cached list answers like its GET, without a body', async () => {
  const { app } = createApp({ ...t.deps, sql: counted });
  const ask = (method: string) =>
    app.request('/api/devices?q=head', { method, headers: { authorization: `Bearer ${t.adminToken}` } });
  const got = await ask('GET');
  statements = [];
  const head = await ask('HEAD');
  expect(head.status).toBe(200);
  expect(head.headers.get('content-type')).toBe(got.headers.get('content-type'));
  expect(await head.text()).toBe('');
  expect(statements).toHaveLength(0);
});

it('a page over 64 K characters is read from the database each time', async () => {
  const { app } = createApp({ ...t.deps, sql: counted });
  for (let i = 0; i < 40; i++) await t.createDevice({ name: `long ${i}`, description: 'x'.repeat(2000) });
  const get = async () => {
    const res = await app.request('/api/devices?q=long&limit=50', {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(res.status).toBe(200);
    return (await res.text()).length;
  };
  expect(await get()).toBeGreaterThan(64 * 1024);
  statements = [];
  await get();
  await get();
  expect(statements).toHaveLength(2);
});

it('a PATCH that is saved but answered 503 (the control message could not be queued) still empties the cached lists', async () => {
  const down: ShardQueueProducer = {
    addBulk: () => Promise.reject(new Error('queue unreachable')),
    close: async () => {},
  };
  const { app } = createApp({ ...t.deps, sql: counted, producer: down });
  const as = (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const { id } = await t.createDevice({ name: 'patched', maxHourlyKwh: 2 });
  const limitListed = async () =>
    ((await (await as('GET', '/api/devices?q=patched')).json()) as { items: Array<{ maxHourlyKwh: number }> })
      .items[0]?.maxHourlyKwh;
  expect(await limitListed()).toBe(2);
  expect((await as('PATCH', `/api/devices/${id}`, { maxHourlyKwh: 3 })).status).toBe(503);
  expect(await limitListed()).toBe(3);
});
