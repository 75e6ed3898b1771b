/**
 * The embedded database is reachable by this process's user only: no TCP
 * port, a Unix socket in a 0700 directory, data in 0700 directories.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './connect.ts';

const base = mkdtempSync(path.join(tmpdir(), 'ems-priv-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;

describe('embedded database privacy', () => {
  it('creates EMS_DATA_DIR, pgdata and the socket directory 0700 and serves on a Unix socket', async () => {
    const dataDir = path.join(base, 'data');
    const db = await openDatabase({ dataDir });
    try {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(path.join(dataDir, 'pgdata'))).toBe(0o700);
      expect(mode(path.join(dataDir, 'run'))).toBe(0o700);
      const socket = path.join(dataDir, 'run', '.s.PGSQL.5432');
      expect(statSync(socket).isSocket()).toBe(true);
      const [row] = await db.sql<
        { addr: string | null }[]
      >`select 1 as one, inet_server_addr()::text as addr`;
      expect(row).toBeDefined();
    } finally {
      await db.close();
    }
    expect(existsSync(path.join(dataDir, 'run', '.s.PGSQL.5432'))).toBe(false);
  });

  it('falls back to a private temp directory when the data path is too long for a socket name', async () => {
    const dataDir = path.join(base, 'x'.repeat(90));
    const db = await openDatabase({ dataDir });
    try {
      expect((await db.sql`select 1 as one`)[0]).toEqual({ one: 1 });
    } finally {
      await db.close();
    }
  });
});
