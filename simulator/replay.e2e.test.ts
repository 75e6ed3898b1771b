/**
 * `ems simulate` against real servers: 145 lines of sensor.csv (a day of
 * 10-minute register readings plus the next midnight) replayed at full speed
 * into a cumulative meter in Europe/Bucharest, then the day read back through
 * GET /api/devices/:id/consumption. Every hour must equal its register
 * difference to the last digit (after `roundKwh`), whichever way the readings
 * travel: in-process `runSimulate` and the real CLI against `ems start`, and
 * `--redis` straight onto the shard queues of `ems api` + `ems runtime`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundKwh } from '../actors/meter.ts';
import { adminToken, type Cluster, client, startCluster } from '../cli/testing/cluster.ts';
import { shardOf } from '../runtime/placement.ts';
import { KeptOutput, runSimulate } from './index.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SENSOR_CSV = fileURLToPath(new URL('../../shared/data/sensor.csv', import.meta.url));
const ZONE = 'Europe/Bucharest';
const START = '2026-03-10T00:00:00+02:00'; // Bucharest is on +02:00 until 29 March
const COUNT = 145;
const INTERVAL_MS = 600_000;
const HOUR_MS = 3_600_000;
const values = readFileSync(SENSOR_CSV, 'utf8').trim().split('\n').slice(0, COUNT).map(Number);

interface Day {
  totalKwh: number;
  hours: Array<{ start: string; kwh: number; readings: number }>;
}

/**
 * What the register says about each hour of a day that starts at START: the
 * register at the hour's last reading minus the register at the last reading
 * before the hour (for the first hour, the baseline — the first reading is
 * worth 0 kWh). A reading belongs to the local hour that contains its
 * timestamp, so the reading at 01:00 is the first of hour 1.
 */
function expectedHours(firstHourMs: number, hours: number) {
  const t0 = Date.parse(START);
  const indexAt = (ts: number) => Math.floor((ts - t0) / INTERVAL_MS);
  return Array.from({ length: hours }, (_, h) => {
    const from = firstHourMs + h * HOUR_MS;
    const first = Math.max(0, indexAt(from - 1) + 1);
    const last = Math.min(COUNT - 1, indexAt(from + HOUR_MS - 1));
    const before = first === 0 ? 0 : first - 1;
    return { kwh: roundKwh(values[last]! - values[before]!), readings: last - first + 1 };
  });
}

async function createMeter(url: string, token: string, name: string): Promise<string> {
  const res = await client(url, token)<{ id: string }>('POST', '/api/devices', {
    name,
    maxHourlyKwh: 1000,
    meterKind: 'cumulative',
    timeZone: ZONE,
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function day(url: string, token: string, id: string, date: string): Promise<Day> {
  const res = await client(url, token)<Day>('GET', `/api/devices/${id}/consumption?date=${date}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** Polls the consumption endpoint until all COUNT readings are counted (the runtime works asynchronously). */
async function waitForReadings(url: string, token: string, id: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const days = [await day(url, token, id, '2026-03-10'), await day(url, token, id, '2026-03-11')];
    const counted = days.flatMap((d) => d.hours).reduce((n, h) => n + h.readings, 0);
    if (counted >= COUNT) return days;
    if (Date.now() > deadline) throw new Error(`only ${counted} of ${COUNT} readings reached ${id}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The whole replayed day, and the next midnight's reading, equal the register differences exactly. */
async function expectDayMatchesRegister(url: string, token: string, id: string) {
  const [march10, march11] = await waitForReadings(url, token, id);
  const t0 = Date.parse(START);
  expect(march10!.hours.map((h) => Date.parse(h.start))).toEqual(
    Array.from({ length: 24 }, (_, h) => t0 + h * HOUR_MS),
  );
  expect(march10!.hours.map(({ kwh, readings }) => ({ kwh, readings }))).toEqual(expectedHours(t0, 24));
  expect(march10!.totalKwh).toBe(roundKwh(values[143]! - values[0]!));
  // The 145th reading, at the next local midnight, opens 11 March's first hour.
  expect(march11!.hours[0]).toMatchObject(expectedHours(t0 + 24 * HOUR_MS, 1)[0]!);
  expect(march11!.totalKwh).toBe(roundKwh(values[144]! - values[143]!));
}

const replayArgs = (id: string) => [
  ...['--csv', SENSOR_CSV, '--device', id, '--start', START],
  ...['--interval', '10m', '--speed', 'max', '--count', String(COUNT)],
];

async function simulateInProcess(argv: string[]) {
  const stdout = new KeptOutput();
  const stderr = new KeptOutput();
  const code = await runSimulate(argv, { stdout, stderr, env: {}, signal: new AbortController().signal });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function simulateCli(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/ems.mjs', 'simulate', ...argv], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ems simulate → ems start', () => {
  let cluster: Cluster;
  let url: string;
  let token: string;
  beforeAll(async () => {
    cluster = await startCluster();
    url = (await cluster.startStart()).url;
    token = await adminToken(url);
  });
  afterAll(() => cluster?.close());

  it('runSimulate replays a day of sensor.csv: each hour is its register difference', async () => {
    const id = await createMeter(url, token, 'Replayed in-process');
    const run = await simulateInProcess([...replayArgs(id), '--url', url, '--token', token]);
    expect(run.stderr).not.toContain('refused');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`done: sent ${COUNT} readings`);
    await expectDayMatchesRegister(url, token, id);
  }, 120_000);

  it('the real CLI (node bin/ems.mjs simulate) gives the same day', async () => {
    const id = await createMeter(url, token, 'Replayed by the CLI');
    const run = await simulateCli([...replayArgs(id), '--url', url, '--token', token]);
    expect(run.stderr).not.toContain('refused');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`accepted ${COUNT}`);
    await expectDayMatchesRegister(url, token, id);
  }, 120_000);
});

describe('ems simulate --redis → ems api + ems runtime', () => {
  let cluster: Cluster;
  let url: string;
  let token: string;
  beforeAll(async () => {
    cluster = await startCluster({ shards: 16 });
    await cluster.start('runtime');
    url = (await cluster.start('api')).url;
    token = await adminToken(url);
  });
  afterAll(() => cluster?.close());

  it('readings enqueued straight onto the shard queues show up in consumption, exact', async () => {
    const id = await createMeter(url, token, 'Replayed over Redis');
    const redisArgs = ['--redis', cluster.env.REDIS_URL!, '--redis-prefix', cluster.prefix, '--shards', '16'];
    // No --url and no --token: nothing goes through the api.
    const run = await simulateInProcess([...replayArgs(id), ...redisArgs]);
    expect(run.stderr).toContain('straight to the shard queues');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`accepted ${COUNT}`);
    await expectDayMatchesRegister(url, token, id);
  }, 120_000);

  it('readings of an unknown device are dropped by the runtime without holding up its shard', async () => {
    const id = await createMeter(url, token, 'Shares a shard with a stranger');
    let stranger = randomUUID();
    while (shardOf(stranger, 16) !== shardOf(id, 16)) stranger = randomUUID();
    const dir = mkdtempSync(join(tmpdir(), 'ems-sim-e2e-'));
    try {
      // Small batches: the stranger's jobs and the meter's interleave on the one shard queue they share.
      const devicesFile = join(dir, 'devices.txt');
      writeFileSync(devicesFile, `${stranger}\n${id}\n`);
      const run = await simulateInProcess([
        ...replayArgs(id).filter((_, i, all) => all[i] !== '--device' && all[i - 1] !== '--device'),
        ...['--devices-file', devicesFile, '--offset-step', '0', '--batch', '10'],
        ...['--redis', cluster.env.REDIS_URL!, '--redis-prefix', cluster.prefix, '--shards', '16'],
      ]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`accepted ${2 * COUNT}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await expectDayMatchesRegister(url, token, id);
    const res = await client(url, token)('GET', `/api/devices/${stranger}/consumption?date=2026-03-10`);
    expect(res.status).toBe(404);
  }, 120_000);
});
