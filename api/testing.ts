/**
 * Test support for integration tests: a fresh Postgres schema per test file
 * (real Postgres on 127.0.0.1:5432, or the embedded PGlite when asked),
 * migrated, with an app over in-memory runtime drivers, an admin, and small
 * request helpers. Everything is dropped in `close()`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { ShardProcessor } from '../actors/shard-processor.ts';
import { PostgresDeviceStore } from '../db/device-store.ts';
import { type TestDb, testDatabase } from '../db/testing.ts';
import { createMemoryDrivers, type MemoryDrivers } from '../runtime/memory/index.ts';
import { RuntimeNode } from '../runtime/node.ts';
import { createApp } from './app.ts';
import { JwtService } from './auth/jwt.ts';
import { hashPassword, setPasswordCost } from './auth/passwords.ts';
import { issueLoginToken } from './auth/sessions.ts';
import { LoginThrottle } from './auth/throttle.ts';
import type { AppDeps } from './context.ts';
import { insertUser } from './users/repo.ts';

export { TEST_DATABASE_URL, TEST_REDIS_URL, type TestDb, testDatabase } from '../db/testing.ts';

export const silentLog = pino({ level: 'silent' });

// Test suites create hundreds of users: hash at 2^14 instead of the production 2^17
// (passwords.test.ts checks the production cost and the re-hash).
setPasswordCost(14);

export interface TestApp {
  db: TestDb;
  deps: AppDeps;
  drivers: MemoryDrivers;
  app: ReturnType<typeof createApp>['app'];
  adminToken: string;
  adminId: string;
  request(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; raw?: string },
  ): Promise<Response>;
  createClient(username?: string): Promise<{ id: string; token: string; username: string }>;
  createDevice(fields?: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>>;
  /** The runtime node's processor, with `runtime: true`. */
  processor?: ShardProcessor;
  /** Events published so far (rooms, event, payload). */
  events: Array<{ rooms: string[]; event: string; payload: unknown }>;
  /** Waits until every queued shard job has been processed. */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  db?: 'postgres' | 'embedded';
  deps?: Partial<AppDeps>;
  /** Also run a runtime node (device actors) over the in-memory drivers. */
  runtime?: boolean;
  now?: () => number;
}

export async function testApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = await testDatabase(options.db ?? 'postgres');
  const drivers = createMemoryDrivers();
  const events: TestApp['events'] = [];
  drivers.events.subscribe((rooms, event, payload) => events.push({ rooms, event, payload }));
  const shards = 8;
  let processor: ShardProcessor | undefined;
  let node: RuntimeNode | undefined;
  if (options.runtime) {
    processor = new ShardProcessor({
      shards,
      store: new PostgresDeviceStore(db.sql),
      events: drivers.events,
      ...(options.now ? { now: options.now } : {}),
    });
    node = new RuntimeNode({ nodeId: 'test-node', shards, drivers, handler: processor });
    await node.start();
  }
  const deps: AppDeps = {
    sql: db.sql,
    jwt: new JwtService(randomBytes(32).toString('hex'), 1),
    log: silentLog,
    throttle: new LoginThrottle(),
    producer: drivers.producer,
    events: drivers.events,
    shards,
    defaultTimeZone: 'UTC',
    ...options.deps,
  };
  const { app } = createApp(deps);
  const adminId = randomUUID();
  await insertUser(db.sql, {
    id: adminId,
    username: 'root',
    name: 'Root',
    email: null,
    role: 'admin',
    passwordHash: await hashPassword('root-password'),
  });
  const adminToken = (await issueLoginToken(deps, { id: adminId, role: 'admin' })).token;

  const request: TestApp['request'] = (method, path, opts = {}) => {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? adminToken : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    return Promise.resolve(app.request(path, { method, headers, body }));
  };

  return {
    db,
    deps,
    drivers,
    app,
    adminToken,
    adminId,
    request,
    async createClient(username = `client_${randomBytes(3).toString('hex')}`) {
      const res = await request('POST', '/api/users', {
        body: { username, password: 'client-password', name: `Client ${username}`, role: 'client' },
      });
      if (res.status !== 201) throw new Error(`createClient: ${res.status} ${await res.text()}`);
      const user = (await res.json()) as { id: string };
      const token = (await issueLoginToken(deps, { id: user.id, role: 'client' })).token;
      return { id: user.id, token, username };
    },
    async createDevice(fields = {}) {
      const res = await request('POST', '/api/devices', {
        body: { name: 'Heater', maxHourlyKwh: 2, meterKind: 'interval', timeZone: 'UTC', ...fields },
      });
      if (res.status !== 201) throw new Error(`createDevice: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    },
    processor,
    events,
    async settle(timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        let pending = 0;
        for (let s = 0; s < shards; s++) pending += drivers.queues.pending(s);
        if (pending === 0) return;
        if (Date.now() > until) throw new Error(`settle: ${pending} shard jobs still pending`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      await node?.stop();
      await processor?.close();
      await drivers.close();
      await db.close();
    },
  };
}

/** A runtime node started by a test itself (beside or instead of `runtime: true`), and how to stop it. */
export interface TestRuntimeNode {
  node: RuntimeNode;
  processor: ShardProcessor;
  /** Stops the node (its shards are released) and closes its processor. */
  stop(): Promise<void>;
}

/**
 * Starts a runtime node that works `t`'s shard queues over the Postgres store,
 * as `ems runtime` does, for tests that need a node to start late (a backlog)
 * or to be swapped mid-stream (new epochs, cold actors). Its outbox sweeper is
 * off: the test decides what is published.
 */
export async function startRuntimeNode(t: TestApp, nodeId: string): Promise<TestRuntimeNode> {
  const processor = new ShardProcessor({
    shards: t.deps.shards,
    store: new PostgresDeviceStore(t.db.sql),
    events: t.drivers.events,
    sweepEveryMs: 0,
  });
  const node = new RuntimeNode({ nodeId, shards: t.deps.shards, drivers: t.drivers, handler: processor });
  await node.start();
  return {
    node,
    processor,
    async stop() {
      await node.stop();
      await processor.close();
    },
  };
}
