/**
 * A dedicated `redis-server` for crash tests: its own port on loopback, its
 * own temporary directory, AOF on with the fsync policy compose.yaml uses. It
 * can be SIGKILLed and restarted from its AOF on the same port, so tests prove
 * what survives a Redis crash without ever touching the machine's shared
 * Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface DedicatedRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** SIGKILL: no shutdown save, the AOF holds what was fsynced. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (loads the AOF); resolves once it answers. */
  restart(): Promise<void>;
  /** Kills it and deletes its directory. */
  close(): Promise<void>;
}

export interface DedicatedRedisOptions {
  /** `always` (what compose.yaml runs) or `everysec`. */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** More `redis-server` arguments (e.g. a Redis Cluster node's, see redis-cluster.ts). */
  extraArgs?: string[];
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, proc: ChildProcess, logs: string[]): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited:\n${logs.join('')}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.write('PING\r\n');
      });
      socket.once('data', (data) => {
        socket.destroy();
        // While the AOF loads Redis answers -LOADING; only +PONG means ready.
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server on ${port} did not answer:\n${logs.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startDedicatedRedis(options: DedicatedRedisOptions = {}): Promise<DedicatedRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ems-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    options.appendfsync ?? 'always',
    '--save',
    '',
    '--protected-mode',
    'no',
    ...(options.extraArgs ?? []),
  ];
  let proc: ChildProcess;
  let exited: Promise<void>;
  const launch = async () => {
    const logs: string[] = [];
    proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => logs.push(String(d)));
    proc.stderr!.on('data', (d) => logs.push(String(d)));
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    await waitForPort(port, proc, logs);
  };
  await launch();
  const kill = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    kill,
    restart: launch,
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
