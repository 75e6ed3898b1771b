/**
 * Opens the database every part of EMS talks to through postgres.js: a real
 * Postgres when a URL is given, otherwise an embedded PGlite database kept in
 * the data directory and served by pglite-socket on a Unix socket inside a
 * 0700 directory, so the very same SQL code runs in both modes and no other
 * local user can connect (a loopback TCP port with no password let any of them
 * read, write or hold the one connection). PGlite serves one connection at a
 * time, so the pool is 1 there.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';

/** postgres.js's type map with no custom types registered by name. */
type NoCustomTypes = Record<never, never>;
export type Sql = postgres.Sql<NoCustomTypes>;

export interface Database {
  sql: Sql;
  embedded: boolean;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres:// URL; unset → embedded PGlite in `dataDir`. */
  url?: string | undefined;
  dataDir: string;
  /** Pool size against a real server. */
  max?: number;
  /** Schema to use (search_path), for tests; created if missing. */
  schema?: string;
}

const quiet = () => {};

/** Shared postgres.js options: numeric and bigint come back as JS numbers. */
function clientOptions(max: number, schema?: string): postgres.Options<NoCustomTypes> {
  return {
    max,
    onnotice: quiet,
    idle_timeout: 30,
    // Bounded so that a request needing the database fails (503) within seconds when it is away,
    // instead of waiting for a connection that will not come (API.md: within 5 s).
    connect_timeout: 3,
    types: {
      // numeric(…) aggregates: energies are doubles in JS; rounding is documented in the API.
      numeric: {
        to: 1700,
        from: [1700],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
      bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    } as unknown as postgres.Options<NoCustomTypes>['types'],
    connection: {
      // A transaction whose client lost track of it (postgres.js can drop a reserved connection's
      // queries when connections are cut) would hold its row locks — the shard's fence row — for
      // ever, blocking every later commit of that shard. Postgres ends such a session after 10 s
      // idle inside a transaction; EMS's transactions are pipelined and never idle that long.
      idle_in_transaction_session_timeout: 10_000,
      ...(schema ? { search_path: schema } : {}),
    },
  };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    if (options.schema) {
      const admin = postgres(options.url, { max: 1, onnotice: quiet });
      await admin.unsafe(`create schema if not exists "${options.schema}"`);
      await admin.end();
    }
    const sql = postgres(options.url, clientOptions(options.max ?? 10, options.schema)) as unknown as Sql;
    return { sql, embedded: false, close: () => sql.end({ timeout: 5 }) };
  }
  return openEmbedded(options.dataDir);
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const dir = path.resolve(dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // also tightens a pgdata made by an older version with the umask
  const db = await PGlite.create(dir);
  const { socketPath, cleanup } = privateSocketPath(dataDir);
  const server = new PGLiteSocketServer({ db, path: socketPath });
  await server.start();
  const sql = postgres({
    path: socketPath,
    database: 'postgres',
    username: 'postgres',
    ...clientOptions(1),
  }) as unknown as Sql;
  return {
    sql,
    embedded: true,
    async close() {
      await sql.end({ timeout: 5 });
      await server.stop();
      await db.close();
      cleanup();
    },
  };
}

/**
 * A socket path in a directory only this user can enter: `<dataDir>/run`, or a
 * fresh 0700 temp directory when that path would pass the ~107-byte limit of
 * Unix socket names.
 */
function privateSocketPath(dataDir: string): { socketPath: string; cleanup: () => void } {
  const runDir = path.resolve(dataDir, 'run');
  const inData = path.join(runDir, '.s.PGSQL.5432');
  if (Buffer.byteLength(inData) < 100) {
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    chmodSync(runDir, 0o700);
    rmSync(inData, { force: true }); // a stale socket of a process that died
    return { socketPath: inData, cleanup: () => rmSync(inData, { force: true }) };
  }
  const tmp = mkdtempSync(path.join(tmpdir(), 'ems-db-')); // created 0700
  return {
    socketPath: path.join(tmp, '.s.PGSQL.5432'),
    cleanup: () => rmSync(tmp, { recursive: true, force: true }),
  };
}
