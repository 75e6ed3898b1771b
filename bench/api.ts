/**
 * The foundation's numbers: cold start of `ems start` (fresh data directory:
 * embedded database created, migrated, admin created) and warm start (same
 * directory again) until /readyz answers 200; then read throughput —
 * authenticated `GET /api/devices` (20 devices) with autocannon, 16
 * connections for 10 s — on three processes: `ems start` embedded (PGlite),
 * `ems start` on the real Postgres (a fresh schema), and `ems api` on Postgres
 * and Redis (the distributed api node, its principal cache on the Redis bus).
 * `/healthz` of the same process, measured just before, is the same-run
 * baseline: the ratio says what the read costs beyond HTTP itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../api/testing.ts';

// BENCH_EMS_ROOT: measure another checkout's `ems` (e.g. main, for a before/after on one machine state).
const ROOT = process.env.BENCH_EMS_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
const CONNECTIONS = 16;
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);

export interface ReadThroughput {
  target: string;
  healthzPerSecond: number;
  devicesPerSecond: number;
  /** CPU time of the measured process per request (user + system): robust to a busy machine. */
  healthzCpuUs: number;
  devicesCpuUs: number;
  devicesLatencyP50Ms: number;
  devicesLatencyP99Ms: number;
}

export interface ApiBenchResult {
  coldStartMs: number;
  warmStartMs: number;
  reads: ReadThroughput[];
}

async function startEms(
  role: 'start' | 'api',
  env: Record<string, string>,
  port: number,
): Promise<{ proc: ChildProcess; ms: number }> {
  const started = performance.now();
  // BENCH_NODE_ARGS: flags for the measured process (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, 'bin/ems.mjs', role], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      EMS_ADMIN_PASSWORD: 'bench-password',
      EMS_LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      REDIS_URL: '',
      ...env,
    },
    stdio: 'ignore',
  });
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) return { proc, ms: performance.now() - started };
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null) throw new Error(`ems ${role} exited with ${proc.exitCode}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stop(proc: ChildProcess) {
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
}

/** CPU time (µs, user + system) the process has used so far; NaN where /proc is missing. */
function cpuUsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime (fields 14 and 15 of stat) in clock ticks of 10 ms (USER_HZ = 100).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

async function cannon(pid: number | undefined, url: string, headers: Record<string, string> = {}) {
  const before = cpuUsOf(pid);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  const cpuUs = (cpuUsOf(pid) - before) / result.requests.total;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { result, cpuUs };
}

/** Signs in, creates 20 devices, then measures /healthz and GET /api/devices on the running process. */
async function measureReads(target: string, port: number, pid: number | undefined): Promise<ReadThroughput> {
  const base = `http://127.0.0.1:${port}`;
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'bench-password' }),
  });
  const { token } = (await login.json()) as { token: string };
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${base}/api/devices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: `Meter ${i}`, maxHourlyKwh: 2 }),
    });
    if (res.status !== 201) throw new Error(`creating a device: ${res.status}`);
  }
  const healthz = await cannon(pid, `${base}/healthz`);
  const devices = await cannon(pid, `${base}/api/devices`, { authorization: `Bearer ${token}` });
  return {
    target,
    healthzPerSecond: healthz.result.requests.average,
    devicesPerSecond: devices.result.requests.average,
    healthzCpuUs: healthz.cpuUs,
    devicesCpuUs: devices.cpuUs,
    devicesLatencyP50Ms: devices.result.latency.p50,
    devicesLatencyP99Ms: devices.result.latency.p99,
  };
}

/** Runs `work` against a fresh schema of the test Postgres, dropped afterwards. */
async function withSchema<T>(work: (databaseUrl: string) => Promise<T>): Promise<T> {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create schema "${schema}"`);
  try {
    return await work(`${TEST_DATABASE_URL}?search_path=${schema}`);
  } finally {
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  }
}

export async function benchApi(port = 18_555): Promise<ApiBenchResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ems-bench-'));
  const reads: ReadThroughput[] = [];
  let coldStartMs = 0;
  let warmStartMs = 0;
  try {
    const cold = await startEms('start', { EMS_DATA_DIR: dataDir }, port);
    coldStartMs = cold.ms;
    await stop(cold.proc);
    const warm = await startEms('start', { EMS_DATA_DIR: dataDir }, port);
    warmStartMs = warm.ms;
    try {
      reads.push(await measureReads('ems start, embedded (PGlite, 1 connection)', port, warm.proc.pid));
    } finally {
      await stop(warm.proc);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const jwt = randomBytes(24).toString('hex');
  await withSchema(async (databaseUrl) => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'ems-bench-'));
    const { proc } = await startEms(
      'start',
      { DATABASE_URL: databaseUrl, JWT_SECRET: jwt, EMS_DATA_DIR: scratch },
      port,
    );
    try {
      reads.push(await measureReads('ems start, PostgreSQL (pool 20)', port, proc.pid));
    } finally {
      await stop(proc);
      rmSync(scratch, { recursive: true, force: true });
    }
  });
  await withSchema(async (databaseUrl) => {
    const prefix = `bench${randomBytes(4).toString('hex')}`;
    const { proc } = await startEms(
      'api',
      { DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL, EMS_REDIS_PREFIX: prefix, JWT_SECRET: jwt },
      port,
    );
    try {
      reads.push(await measureReads('ems api, PostgreSQL (pool 20) + Redis', port, proc.pid));
    } finally {
      await stop(proc);
      const redis = new Redis(TEST_REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });
  return { coldStartMs, warmStartMs, reads };
}
