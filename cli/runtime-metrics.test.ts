/**
 * The runtime's counters on /metrics (docs/OPERATIONS.md, Probes, metrics,
 * logs): `ems start` in process, over the real Postgres. A job already queued
 * for a device that was deleted meanwhile is dropped, not retried, and the
 * drop shows as ems_readings_dropped_total on the process's /metrics. The same
 * counters are on the ops port of `ems runtime` (no api), over Redis.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { SHARD_QUEUE_NAME } from '../actors/messages.ts';
import { enqueueReadings } from '../api/readings/enqueue.ts';
import { TEST_DATABASE_URL } from '../api/testing.ts';
import { shardOf } from '../runtime/placement.ts';
import { randomPrefix, redisBackend, TEST_REDIS_URL } from '../runtime/testing/backends.ts';
import { loadConfig } from './config.ts';
import { runJobs } from './jobs.ts';
import { createLogger } from './logger.ts';
import { type Roles, type Running, startProcess } from './processes.ts';
import { adminToken, client, inProcessEnv } from './testing/cluster.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startSingleProcess(
  roles: Roles = { api: true, runtime: true },
  env: Record<string, string> = {},
): Promise<Running> {
  const schema = `m_${randomBytes(5).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create schema "${schema}"`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ems-metrics-'));
  cleanups.push(async () => {
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const config = loadConfig({ ...inProcessEnv(schema, dataDir), ...env });
  const running = await startProcess(config, roles, createLogger('silent', 'metrics'));
  cleanups.push(() => running.stop());
  return running;
}

/** The value of an unlabelled metric on /metrics (undefined when absent). */
async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function waitForMetric(url: string, name: string, value: number) {
  const until = Date.now() + 15_000;
  while ((await metric(url, name)) !== value && Date.now() < until)
    await new Promise((r) => setTimeout(r, 50));
  expect(await metric(url, name), name).toBe(value);
}

describe('runtime counters on /metrics', () => {
  it('counts readings applied, duplicates, and a queued reading for a deleted device as dropped', async () => {
    const running = await startSingleProcess();
    const url = `http://127.0.0.1:${running.port}`;
    const call = client(url, await adminToken(url));
    const kept = await call<{ id: string }>('POST', '/api/devices', {
      name: 'Kept',
      meterKind: 'interval',
      maxHourlyKwh: 100,
    });
    const gone = await call<{ id: string }>('POST', '/api/devices', {
      name: 'Gone',
      meterKind: 'interval',
      maxHourlyKwh: 100,
    });
    expect([kept.status, gone.status]).toEqual([201, 201]);
    expect(await metric(url, 'ems_readings_dropped_total')).toBe(0);

    const ts = Date.now() - 60_000;
    const reading = { deviceId: kept.body.id, timestamp: ts, value: 0.25 };
    expect((await call('POST', '/api/readings', { readings: [reading, reading] })).status).toBe(202);
    await waitForMetric(url, 'ems_readings_applied_total', 1);
    await waitForMetric(url, 'ems_readings_duplicate_total', 1);

    expect((await call('DELETE', `/api/devices/${gone.body.id}`)).status).toBe(204);
    // A job queued before the delete reached every api node (the api itself now answers 422).
    await enqueueReadings(
      running.deps!.producer,
      [
        { deviceId: gone.body.id, ts, value: 0.5 },
        { deviceId: gone.body.id, ts: ts + 1000, value: 0.5 },
      ],
      4,
    );
    await waitForMetric(url, 'ems_readings_dropped_total', 2);
    expect(await metric(url, 'ems_readings_applied_total')).toBe(1);
    expect(await metric(url, 'ems_shard_job_failures_total')).toBe(0);
  }, 60_000);

  it('are on the ops port of a runtime node without the api', async () => {
    const prefix = randomPrefix();
    // Registered first, so it runs last: after the runtime node stopped and left its keys.
    const backend = redisBackend(prefix, SHARD_QUEUE_NAME);
    cleanups.push(() => backend.teardown());
    const running = await startSingleProcess(
      { api: false, runtime: true, ops: true },
      { REDIS_URL: TEST_REDIS_URL, EMS_REDIS_PREFIX: prefix },
    );
    const url = `http://127.0.0.1:${running.port}`;
    expect(await metric(url, 'ems_readings_dropped_total')).toBe(0);
    // Queued by an api node for a device that no longer exists.
    await enqueueReadings(
      backend.connect().producer,
      [{ deviceId: '00000000-0000-4000-8000-000000000001', ts: Date.now() - 60_000, value: 0.5 }],
      4,
    );
    await waitForMetric(url, 'ems_readings_dropped_total', 1);
  }, 60_000);

  it('set a poison job aside on a runtime node over Redis: counted, listed, the shard goes on', async () => {
    const prefix = randomPrefix();
    const backend = redisBackend(prefix, SHARD_QUEUE_NAME);
    cleanups.push(() => backend.teardown());
    const env = { REDIS_URL: TEST_REDIS_URL, EMS_REDIS_PREFIX: prefix, EMS_SHARDS: '4' };
    const running = await startSingleProcess({ api: false, runtime: true, ops: true }, env);
    const url = `http://127.0.0.1:${running.port}`;
    const unknown = '00000000-0000-4000-8000-000000000002';
    const shard = shardOf(unknown, 4);
    const ts = Date.now() - 60_000;
    // A producer bug's job, then data Postgres refuses (not a uuid), then a reading that is fine.
    await backend
      .connect()
      .producer.addBulk(shard, [
        { readings: 'all of them' },
        { readings: [['not-a-uuid', ts, 0.5]] },
        { readings: [[unknown, ts, 0.5]] },
      ]);
    await waitForMetric(url, 'ems_readings_dropped_total', 1);
    expect(await metric(url, 'ems_shard_jobs_poisoned_total')).toBe(2);

    const config = { REDIS_URL: TEST_REDIS_URL, EMS_REDIS_PREFIX: prefix, EMS_SHARDS: 4 };
    const listed: string[] = [];
    expect(await runJobs('poisoned', config, (l) => listed.push(l))).toBe(0);
    expect(listed.at(-1)).toBe('2 poisoned jobs (ems jobs requeue puts them back).');
    expect(listed[1]).toContain('shard job readings is not an array');
    expect(listed[2]).toMatch(/1 readings, 0 controls\t.*uuid/);

    // Put back without a fix, they are set aside again (and counted again): never retried for ever.
    expect(await runJobs('requeue', config, () => {})).toBe(0);
    await waitForMetric(url, 'ems_shard_jobs_poisoned_total', 4);
    // The refused one was tried once per round, not retried: one failure each time.
    expect(await metric(url, 'ems_shard_job_failures_total')).toBe(2);
  }, 60_000);
});
