/**
 * What a read costs the database (issue #14): `GET /api/devices` with a token
 * this node has resolved before is one statement — no credential lookup (the
 * principal cache) and the page with its total in one query (db/page.ts).
 * Counted with postgres.js's `debug` hook on a connection of the app's own.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sql } from '../../db/connect.ts';
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

it('a repeated GET /api/devices is one statement, for a login token and a personal access token', async () => {
  const { app } = createApp({ ...t.deps, sql: counted });
  const owner = await t.createClient();
  for (const name of ['A', 'B', 'C']) await t.createDevice({ name, ownerId: owner.id });
  const pat = (
    await (await t.request('POST', '/api/tokens', { token: owner.token, body: { name: 'x' } })).json()
  ).token as string;
  for (const token of [owner.token, pat, t.adminToken]) {
    const get = async () => {
      const res = await app.request('/api/devices', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as { total: number };
    };
    await get(); // resolves the token once
    statements = [];
    const page = await get();
    expect(page.total).toBeGreaterThanOrEqual(3);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/left join lateral/);
  }
});
