/**
 * The runtime's commit path alone: the real ShardProcessor and Postgres
 * DeviceStore in this process, fed the jobs the api would enqueue for the
 * ingest benchmark's requests (one job per shard and request), no HTTP, no
 * Redis. Besides the rate it reports CPU time per reading, of this process and
 * of its Postgres backends (/proc, so only with Postgres on this machine):
 * CPU time is what a machine shared with other work does not distort the way
 * it distorts wall time.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ReadingTuple } from '../actors/messages.ts';
import { groupByShard } from '../actors/shard-jobs.ts';
import { ShardProcessor } from '../actors/shard-processor.ts';
import { PostgresDeviceStore } from '../db/device-store.ts';
import { testDatabase } from '../db/testing.ts';
import type { IngestOptions } from './ingest.ts';

export interface CommitPathResult {
  readings: number;
  perSecond: number;
  /** Readings per transaction (group commit). */
  perTransaction: number;
  /** CPU µs per reading of the Postgres backends (NaN when /proc cannot tell). */
  postgresUs: number;
  /** CPU µs per reading of this process (actors, serialisation, the job generator). */
  nodeUs: number;
}

const SHARDS = 64;

/** Jobs per shard, as the api splits the benchmark's requests (lanes of devices, batches of `o.batch`). */
function jobsByShard(ids: string[], o: IngestOptions): Map<number, ReadingTuple[][]> {
  const base = Date.now() - 2 * 86_400_000;
  const jobs = new Map<number, ReadingTuple[][]>();
  const lanes = Array.from({ length: o.concurrency }, (_, l) =>
    ids.filter((_, i) => i % o.concurrency === l),
  );
  for (const lane of lanes) {
    let request: ReadingTuple[] = [];
    const split = () => {
      for (const [shard, list] of groupByShard(request, SHARDS, (r) => r[0])) {
        jobs.set(shard, [...(jobs.get(shard) ?? []), list]);
      }
      request = [];
    };
    for (let n = 0; n < o.readings / o.concurrency; n++) {
      request.push([
        lane[n % lane.length]!,
        base + Math.floor(n / lane.length) * 10_000,
        0.001 * ((n % 7) + 1),
      ]);
      if (request.length === o.batch) split();
    }
    if (request.length) split();
  }
  return jobs;
}

/** utime + stime of the processes, in ms (NaN if any cannot be read). */
function cpuMsOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

export async function benchCommitPath(o: IngestOptions): Promise<CommitPathResult> {
  const db = await testDatabase();
  const processor = new ShardProcessor({
    shards: SHARDS,
    store: new PostgresDeviceStore(db.sql),
    events: { emit: () => true },
    sweepEveryMs: 0,
    silenceEveryMs: 0,
  });
  try {
    const ids = Array.from({ length: o.devices }, () => randomUUID());
    await db.sql`insert into devices (id, name, max_hourly_kwh, meter_kind, time_zone)
      select unnest(${ids}::uuid[]), 'meter', 1e6, 'interval', 'UTC'`;
    // A fresh schema: the store fences every shard with the lease's epoch, 1.
    for (let s = 0; s < SHARDS; s++) await processor.onAcquired(s, 1);
    const jobs = jobsByShard(ids, o);
    // Every pooled connection's backend: enough concurrent sleepers to open them all.
    const pids = [
      ...new Set(
        (
          await Promise.all(
            Array.from(
              { length: 30 },
              () => db.sql<{ pid: number }[]>`select pg_backend_pid() as pid, pg_sleep(0.05)`,
            ),
          )
        ).map((r) => r[0]!.pid),
      ),
    ];
    const pg0 = cpuMsOf(pids);
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      [...jobs].map(async ([shard, list]) => {
        for (const readings of list) await processor.processPayload(shard, { readings }, 1);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const readings = [...jobs.values()].flat().reduce((n, job) => n + job.length, 0);
    const stats = processor.committer?.stats ?? { jobs: 0, transactions: 0 };
    return {
      readings,
      perSecond: readings / seconds,
      perTransaction: stats.transactions ? readings / stats.transactions : readings / processor.totals.jobs,
      postgresUs: ((cpuMsOf(pids) - pg0) * 1000) / readings,
      nodeUs: ((cpu.user + cpu.system) / 1000 / readings) * 1000,
    };
  } finally {
    await processor.close();
    await db.close();
  }
}
