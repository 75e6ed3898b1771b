/**
 * Test support for multi-process tests: starts real `ems api` / `ems runtime`
 * processes on loopback over the real Postgres (a fresh schema) and Redis (a
 * random key prefix), the same topology compose.yaml describes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterEach, expect } from 'vitest';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../../api/testing.ts';
import { connectRedis, type RedisClient } from '../../runtime/redis/connect.ts';
import { deleteKeys } from '../../runtime/testing/backends.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type Role = 'api' | 'runtime' | 'start';

export interface NodeProcess {
  role: Role;
  nodeId: string;
  proc: ChildProcess;
  /** The api's port, once listening. */
  port: number;
  url: string;
  logs: string[];
  exited: Promise<number | null>;
  signal(sig: NodeJS.Signals): void;
}

export interface Cluster {
  schema: string;
  prefix: string;
  databaseUrl: string;
  env: Record<string, string>;
  nodes: NodeProcess[];
  start(role: Role, extraEnv?: Record<string, string>): Promise<NodeProcess>;
  /** `ems start` (api + runtime in one process) over the same Postgres, without Redis. */
  startStart(extraEnv?: Record<string, string>): Promise<NodeProcess>;
  sql: postgres.Sql;
  /** A connection to the cluster's Redis (a Cluster when `redisUrl` lists a Redis Cluster's nodes). */
  redis: RedisClient;
  close(): Promise<void>;
}

export const ADMIN_PASSWORD = 'cluster-admin-password';

/**
 * The environment of one `ems` started in this test process (loadConfig, then
 * startProcess) over `schema` of the test Postgres: 4 shards, the admin of
 * ADMIN_PASSWORD, data in `dataDir`, on a free loopback port.
 */
export function inProcessEnv(schema: string, dataDir: string): Record<string, string> {
  return {
    DATABASE_URL: `${TEST_DATABASE_URL}?search_path=${schema}`,
    JWT_SECRET: randomBytes(24).toString('hex'),
    EMS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    EMS_DATA_DIR: dataDir,
    EMS_SHARDS: '4',
    HOST: '127.0.0.1',
    PORT: '0',
  };
}

export interface ClusterOptions {
  shards?: number;
  /**
   * Redis for the whole cluster (e.g. a dedicated redis-server for crash tests, or a Redis
   * Cluster's comma-separated nodes, faults/redis-cluster.ts); default the shared test Redis.
   */
  redisUrl?: string;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const schema = `c_${randomBytes(5).toString('hex')}`;
  const prefix = `emstest${randomBytes(4).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create schema "${schema}"`);
  await admin.end();
  const databaseUrl = `${TEST_DATABASE_URL}?search_path=${schema}`;
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
  const redis = connectRedis({ url: redisUrl });
  redis.on('error', () => {}); // crash tests stop the Redis under it; commands then fail and are retried

  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    EMS_REDIS_PREFIX: prefix,
    JWT_SECRET: randomBytes(24).toString('hex'),
    EMS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    EMS_SHARDS: String(options.shards ?? 16),
    EMS_LOG_LEVEL: 'info',
    EMS_DB_POOL: '8',
    HOST: '127.0.0.1',
    PORT: '0',
  };
  const nodes: NodeProcess[] = [];
  let counter = 0;

  async function start(role: Role, extraEnv: Record<string, string> = {}): Promise<NodeProcess> {
    const nodeId = `${role}-${++counter}`;
    // NODE_EXTRA_ARGS: flags for node itself (e.g. --cpu-prof for profiling a benchmark run).
    const nodeArgs = (extraEnv.NODE_EXTRA_ARGS ?? '').split(' ').filter(Boolean);
    const proc = spawn(process.execPath, [...nodeArgs, 'bin/ems.mjs', role], {
      cwd: ROOT,
      env: { ...process.env, ...env, EMS_NODE_ID: nodeId, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: string[] = [];
    const node: NodeProcess = {
      role,
      nodeId,
      proc,
      port: 0,
      url: '',
      logs,
      exited: new Promise((resolve) => proc.on('exit', (code) => resolve(code))),
      signal: (sig) => proc.kill(sig),
    };
    nodes.push(node);
    const ready = new Promise<void>((resolve, reject) => {
      const onLine = (line: string) => {
        logs.push(line);
        if (role !== 'runtime' && line.includes('"api listening"')) {
          node.port = JSON.parse(line).port;
          node.url = `http://127.0.0.1:${node.port}`;
          resolve();
        }
        if (role === 'runtime' && line.includes('"runtime node started"')) resolve();
        // A runtime node's /healthz, /readyz and /metrics (logged just after it started).
        if (role === 'runtime' && line.includes('ops endpoints listening')) {
          node.port = JSON.parse(line).port;
          node.url = `http://127.0.0.1:${node.port}`;
        }
      };
      let buffer = '';
      const feed = (chunk: Buffer) => {
        buffer += chunk.toString();
        let i = buffer.indexOf('\n');
        while (i >= 0) {
          onLine(buffer.slice(0, i));
          buffer = buffer.slice(i + 1);
          i = buffer.indexOf('\n');
        }
      };
      proc.stdout!.on('data', feed);
      proc.stderr!.on('data', feed);
      proc.on('exit', (code) =>
        reject(new Error(`${nodeId} exited with ${code}:\n${logs.slice(-20).join('\n')}`)),
      );
    });
    await ready;
    return node;
  }

  return {
    schema,
    prefix,
    databaseUrl,
    env,
    nodes,
    start,
    startStart: (extraEnv = {}) => start('start', { REDIS_URL: '', ...extraEnv }),
    sql,
    redis,
    async close() {
      for (const n of nodes)
        if (n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill('SIGKILL');
      await Promise.all(nodes.map((n) => n.exited));
      await sql.end();
      await redis.quit();
      await deleteKeys(`${prefix}*`, redisUrl);
      const a = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop schema if exists "${schema}" cascade`);
      await a.end();
    },
  };
}

/** A tiny JSON client for one api node. */
export function client(baseUrl: string, token?: string) {
  return async function call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
}

export async function adminToken(baseUrl: string): Promise<string> {
  const res = await client(baseUrl)<{ token: string }>('POST', '/api/auth/login', {
    username: 'admin',
    password: ADMIN_PASSWORD,
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  return res.body.token;
}

/** Creates `count` interval meters ("Meter 0", "Meter 1", …) as the administrator; their ids, in order. */
export async function createDevices(url: string, token: string, count: number, maxHourlyKwh = 1e6) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await client(url, token)<{ id: string }>('POST', '/api/devices', {
      name: `Meter ${i}`,
      maxHourlyKwh,
      meterKind: 'interval',
    });
    expect(res.status).toBe(201);
    ids.push(res.body.id);
  }
  return ids;
}

/** Two runtime and two api nodes in `cluster`, an administrator's token, and `devices` meters made through the first api. */
export async function startTwoByTwo(cluster: Cluster, devices: number) {
  const runtimeA = await cluster.start('runtime');
  const runtimeB = await cluster.start('runtime');
  const api1 = await cluster.start('api');
  const api2 = await cluster.start('api');
  const token = await adminToken(api1.url);
  const ids = await createDevices(api1.url, token, devices);
  return { runtimeA, runtimeB, api1, api2, token, ids };
}

/**
 * Closes what a test started once it ends, the last started first (sockets before the
 * balancer before the nodes). Call at the top of a file; `closeAfter(x)` returns `x`.
 */
export function closeAfterEach() {
  const started: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const thing of started.splice(0).reverse()) await thing.close();
  });
  return <T extends { close(): unknown }>(thing: T): T => {
    started.push(thing);
    return thing;
  };
}
