import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ensureAdmin } from '../../cli/bootstrap.ts';
import { issueLoginToken } from '../auth/sessions.ts';
import { useTestApp } from '../testing-hooks.ts';
import { countAdmins, insertUser } from './repo.ts';

const t = useTestApp();

async function newAdmin(username: string) {
  const id = randomUUID();
  await insertUser(t.db.sql, { id, username, name: username, email: null, role: 'admin', passwordHash: 'x' });
  const user = { id, role: 'admin' as const };
  return { id, token: (await issueLoginToken(t.deps, user)).token };
}

/**
 * Runs `requests` so that both have authenticated before either writes: a test transaction
 * holds the two admins' rows, the requests queue behind it (seen in pg_stat_activity), then it
 * lets go. Without this the in-process requests mostly run one after the other and the race
 * the issue reproduced over HTTP would not show.
 */
async function race(ids: string[], requests: () => Promise<Response>[]): Promise<number[]> {
  const sql = t.db.sql;
  let responses: Promise<Response>[] = [];
  await sql.begin(async (tx) => {
    await tx`select id from users where id in ${tx(ids)} for update`;
    responses = requests();
    for (let i = 0; i < 500; i++) {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
        where wait_event_type = 'Lock' and datname = current_database() and query ilike '%users%'`;
      if ((row?.n ?? 0) >= ids.length) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  });
  return (await Promise.all(responses)).map((r) => r.status).sort();
}

describe('at least one admin, always', () => {
  it('two admins demoting each other at once: one 200, one 409, an admin remains', async () => {
    // Leave exactly two admins: A and B (root is demoted by A first).
    const a = await newAdmin(`a_${randomUUID().slice(0, 6)}`);
    const b = await newAdmin(`b_${randomUUID().slice(0, 6)}`);
    expect(
      (await t.request('PATCH', `/api/users/${t.adminId}`, { token: a.token, body: { role: 'client' } }))
        .status,
    ).toBe(200);
    const statuses = await race([a.id, b.id], () => [
      t.request('PATCH', `/api/users/${b.id}`, { token: a.token, body: { role: 'client' } }),
      t.request('PATCH', `/api/users/${a.id}`, { token: b.token, body: { role: 'client' } }),
    ]);
    expect(statuses).toEqual([200, 409]);
    expect(await countAdmins(t.db.sql)).toBe(1);
  });

  it('two admins deleting each other at once: one 204, one 409', async () => {
    await t.db.sql`update users set role = 'client' where role = 'admin'`;
    const a = await newAdmin(`c_${randomUUID().slice(0, 6)}`);
    const b = await newAdmin(`d_${randomUUID().slice(0, 6)}`);
    const statuses = await race([a.id, b.id], () => [
      t.request('DELETE', `/api/users/${b.id}`, { token: a.token }),
      t.request('DELETE', `/api/users/${a.id}`, { token: b.token }),
    ]);
    expect(statuses).toEqual([204, 409]);
    expect(await countAdmins(t.db.sql)).toBe(1);
  });

  it('ensureAdmin repairs a database with no admin by promoting EMS_ADMIN_USERNAME', async () => {
    const id = randomUUID();
    const username = `owner_${id.slice(0, 6)}`;
    await insertUser(t.db.sql, {
      id,
      username,
      name: 'Owner',
      email: null,
      role: 'client',
      passwordHash: 'x',
    });
    await t.db.sql`update users set role = 'client' where role = 'admin'`;
    expect(await countAdmins(t.db.sql)).toBe(0);
    const result = await ensureAdmin(t.db.sql, username, undefined);
    expect(result).toMatchObject({ username, promoted: true });
    const rows = await t.db.sql`select role from users where id = ${id}`;
    expect(rows[0]!.role).toBe('admin');
    expect(await ensureAdmin(t.db.sql, username, undefined)).toBeNull();
  });
});
