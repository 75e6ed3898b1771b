/**
 * Test support for storage tests: a fresh, migrated Postgres schema per test
 * file (real Postgres on 127.0.0.1:5432), or a temporary embedded PGlite when
 * asked. Everything is dropped in `close()`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll } from 'vitest';
import { type Database, openDatabase } from './connect.ts';
import { migrate } from './migrate.ts';

export const TEST_DATABASE_URL =
  process.env.EMS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.EMS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDb extends Database {
  schema: string | null;
  url: string | null;
}

/**
 * A fresh database for the tests of the enclosing describe (or file): opened before
 * the first, closed after the last. Call the returned function inside a test for it.
 */
export function databaseForTests(kind: 'postgres' | 'embedded' = 'postgres'): () => TestDb {
  let db: TestDb | undefined;
  beforeAll(async () => {
    db = await testDatabase(kind);
  });
  afterAll(() => db?.close());
  return () => {
    if (!db) throw new Error('the test database is not open yet');
    return db;
  };
}

/** A migrated database: a fresh schema in the real Postgres, or (embedded) a temp PGlite. */
export async function testDatabase(kind: 'postgres' | 'embedded' = 'postgres'): Promise<TestDb> {
  if (kind === 'embedded') {
    const dir = mkdtempSync(path.join(tmpdir(), 'ems-test-'));
    const db = await openDatabase({ dataDir: dir });
    await migrate(db.sql);
    return {
      ...db,
      schema: null,
      url: null,
      async close() {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const db = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '.', schema, max: 10 });
  await migrate(db.sql);
  return {
    ...db,
    schema,
    url: TEST_DATABASE_URL,
    async close() {
      await db.close();
      const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    },
  };
}
