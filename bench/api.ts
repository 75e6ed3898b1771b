/**
 * The foundation's numbers: cold start of `ems start` (fresh data directory:
 * embedded database created, migrated, admin created) and warm start (same
 * directory again) until /readyz answers 200; then authenticated
 * `GET /api/devices` requests/s with autocannon against the running server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ApiBenchResult {
  coldStartMs: number;
  warmStartMs: number;
  devicesRequestsPerSecond: number;
  devicesLatencyP50Ms: number;
  devicesLatencyP99Ms: number;
}

async function startEms(dataDir: string, port: number): Promise<{ proc: ChildProcess; ms: number }> {
  const started = performance.now();
  const proc = spawn(process.execPath, ['bin/ems.mjs', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      EMS_DATA_DIR: dataDir,
      EMS_ADMIN_PASSWORD: 'bench-password',
      EMS_LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      REDIS_URL: '',
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
    if (proc.exitCode !== null) throw new Error(`ems start exited with ${proc.exitCode}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stop(proc: ChildProcess) {
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
}

export async function benchApi(port = 18_555): Promise<ApiBenchResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ems-bench-'));
  try {
    const cold = await startEms(dataDir, port);
    await stop(cold.proc);
    const warm = await startEms(dataDir, port);
    try {
      const base = `http://127.0.0.1:${port}`;
      const login = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'bench-password' }),
      });
      const { token } = (await login.json()) as { token: string };
      for (let i = 0; i < 20; i++) {
        await fetch(`${base}/api/devices`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ name: `Meter ${i}`, maxHourlyKwh: 2 }),
        });
      }
      const result = await autocannon({
        url: `${base}/api/devices`,
        connections: 16,
        duration: 10,
        headers: { authorization: `Bearer ${token}` },
      });
      return {
        coldStartMs: cold.ms,
        warmStartMs: warm.ms,
        devicesRequestsPerSecond: result.requests.average,
        devicesLatencyP50Ms: result.latency.p50,
        devicesLatencyP99Ms: result.latency.p99,
      };
    } finally {
      await stop(warm.proc);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
