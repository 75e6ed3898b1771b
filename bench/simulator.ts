/**
 * How fast `ems simulate --speed max` gets readings accepted: the generated
 * load profile for many devices (default 200 × 500 readings), timed from the
 * start of `runSimulate` until every batch is acknowledged — 202 from the api
 * (durable in the queue), or Redis holding the job with `--redis`. Three
 * targets on loopback, each a fresh cluster over the real Postgres: `ems start`
 * (no Redis), the distributed mode (1 api + 1 runtime) over HTTP, and the same
 * cluster fed straight onto its shard queues with `--redis`. The simulator runs
 * in this process, so it shares the machine's cores with the servers.
 * Run alone: `npx tsx bench/simulator.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminToken, type Cluster, startCluster } from '../cli/testing/cluster.ts';
import { KeptOutput, runSimulate } from '../simulator/index.ts';
import { createDevices } from './devices.ts';

export interface Row {
  name: string;
  readings: number;
  seconds: number;
  perSecond: number;
}

export interface SimulatorBenchOptions {
  /** Default 200. */
  devices?: number;
  /** Readings per device. Default 500. */
  readingsPerDevice?: number;
}

type Target = 'start' | 'distributed-http' | 'distributed-redis';

const NAMES: Record<Target, string> = {
  start: 'simulator → ems start (HTTP, no Redis)',
  'distributed-http': 'simulator → 1 api + 1 runtime (HTTP)',
  'distributed-redis': 'simulator --redis → shard queues of 1 api + 1 runtime',
};
const SHARDS = 64;

export async function benchSimulator(options: SimulatorBenchOptions = {}): Promise<Row[]> {
  const devices = options.devices ?? 200;
  const perDevice = options.readingsPerDevice ?? 500;
  const rows: Row[] = [];
  for (const target of ['start', 'distributed-http', 'distributed-redis'] as const) {
    rows.push(await benchTarget(target, devices, perDevice));
  }
  return rows;
}

async function benchTarget(target: Target, devices: number, perDevice: number): Promise<Row> {
  const cluster: Cluster = await startCluster({ shards: SHARDS });
  const scratch = mkdtempSync(join(tmpdir(), 'ems-bench-sim-'));
  try {
    let url: string;
    if (target === 'start') {
      url = (await cluster.startStart()).url;
    } else {
      await cluster.start('runtime');
      url = (await cluster.start('api')).url;
    }
    const token = await adminToken(url);
    const devicesFile = join(scratch, 'devices.txt');
    writeFileSync(
      devicesFile,
      `${(await createDevices(url, token, devices, 'Simulator bench')).join('\n')}\n`,
    );

    const transport =
      target === 'distributed-redis'
        ? ['--redis', cluster.env.REDIS_URL!, '--redis-prefix', cluster.prefix, '--shards', String(SHARDS)]
        : ['--url', url, '--token', token];
    // A 1-minute meter keeps the whole series within the last day (it ends now, as --speed max does).
    const argv = [
      ...['--devices-file', devicesFile, '--meter', 'interval', '--interval', '1m'],
      ...['--count', String(perDevice), '--speed', 'max', '--batch', '5000', '--concurrency', '4'],
      ...transport,
    ];
    const stdout = new KeptOutput();
    const stderr = new KeptOutput();
    const started = performance.now();
    const code = await runSimulate(argv, { stdout, stderr, env: {}, signal: new AbortController().signal });
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`ems simulate exited ${code}:\n${stderr.text}${stdout.text}`);
    const readings = devices * perDevice;
    return { name: NAMES[target], readings, seconds, perSecond: readings / seconds };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await cluster.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await benchSimulator({
    devices: Number(process.env.BENCH_SIM_DEVICES ?? 200),
    readingsPerDevice: Number(process.env.BENCH_SIM_READINGS ?? 500),
  });
  console.table(
    rows.map((r) => ({ ...r, seconds: r.seconds.toFixed(2), perSecond: Math.round(r.perSecond) })),
  );
  process.exit(0);
}
