/**
 * Migrations apply exactly once even when two processes start at the same
 * moment against the same fresh database (here: two pools on one fresh
 * schema of the real Postgres), and a later run has nothing to do.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './connect.ts';
import { loadMigrations, migrate } from './migrate.ts';
import { TEST_DATABASE_URL } from './testing.ts';

const schema = `t_${randomBytes(6).toString('hex')}`;
const opened: Database[] = [];

afterAll(async () => {
  for (const db of opened) await db.close();
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop schema if exists "${schema}" cascade`);
  await admin.end();
});

async function open() {
  const db = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '.', schema, max: 2 });
  opened.push(db);
  return db;
}

describe('migrate', () => {
  it('applies every version once when two migrate() calls race on a fresh schema', async () => {
    const versions = loadMigrations().map((m) => m.version);
    expect(versions.length).toBeGreaterThanOrEqual(3);
    expect(versions).toEqual([...versions].sort());

    // Opened one after the other (each creates the schema if missing), then raced.
    const a = await open();
    const b = await open();
    const [fromA, fromB] = await Promise.all([migrate(a.sql), migrate(b.sql)]);

    const union = [...fromA, ...fromB].sort();
    expect(union).toEqual(versions);
    // One of them did all the work; the other waited and found nothing to do.
    expect([fromA.length, fromB.length].sort()).toEqual([0, versions.length]);

    const rows = await a.sql<{ version: string; n: number }[]>`
      select version, count(*)::int as n from schema_migrations group by version order by version`;
    expect(rows).toEqual(versions.map((version) => ({ version, n: 1 })));

    // The tables are really there, in this schema.
    const tables = await a.sql<{ name: string }[]>`
      select table_name as name from information_schema.tables where table_schema = ${schema}`;
    const names = tables.map((t) => t.name);
    for (const table of ['users', 'devices', 'readings', 'hourly', 'alerts', 'schema_migrations'])
      expect(names).toContain(table);
  });

  it('does nothing on a later run', async () => {
    const c = await open();
    expect(await migrate(c.sql)).toEqual([]);
  });

  it('applies only the new file when one is added, and rolls back a failing one whole', async () => {
    const db = await open();
    const base = loadMigrations();
    const next = [...base, { version: '999_extra', sql: 'create table extra_thing (id int primary key);' }];
    expect(await migrate(db.sql, next)).toEqual(['999_extra']);
    const broken = [
      ...next,
      { version: '9990_half', sql: 'create table half_done (id int); select * from no_such_table;' },
    ];
    await expect(migrate(db.sql, broken)).rejects.toThrow();
    const rows = await db.sql`select version from schema_migrations where version = '9990_half'`;
    expect(rows).toHaveLength(0);
    const half = await db.sql`select 1 from information_schema.tables
      where table_schema = ${schema} and table_name = 'half_done'`;
    expect(half).toHaveLength(0);
  });
});
