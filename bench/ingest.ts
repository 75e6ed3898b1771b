/**
 * End-to-end ingest throughput: many devices, HTTP batches of 5000 readings,
 * timed from the first POST until every reading is visible in the hourly
 * aggregates. Runs against real processes (`ems api` + `ems runtime`, or
 * `ems start`) on loopback, with two references measured in the same run on
 * the same Postgres: a naive design (one SQL upsert per reading) and the
 * ceiling (the same rows COPYed into a keyed table).
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { adminToken, type Cluster, startCluster } from '../cli/testing/cluster.ts';
import { createDevices } from './devices.ts';

export interface IngestResult {
  name: string;
  readings: number;
  seconds: number;
  perSecond: number;
  /** How fast the api answered 202 (readings durable in the queues). */
  acceptedPerSecond?: number;
}

export interface IngestOptions {
  devices: number;
  readings: number;
  batch: number;
  concurrency: number;
}

function makeBatches(ids: string[], total: number, batch: number) {
  const base = Date.now() - 2 * 86_400_000;
  const batches: Array<Array<{ deviceId: string; timestamp: number; value: number }>> = [];
  let current: Array<{ deviceId: string; timestamp: number; value: number }> = [];
  for (let n = 0; n < total; n++) {
    current.push({
      deviceId: ids[n % ids.length]!,
      timestamp: base + Math.floor(n / ids.length) * 10_000,
      value: 0.001 * ((n % 7) + 1),
    });
    if (current.length === batch) {
      batches.push(current);
      current = [];
    }
  }
  if (current.length) batches.push(current);
  return batches;
}

/** POSTs one batch of readings, again after a 5xx (a backlogged api), until it is answered 202. */
export async function postUntilAccepted(url: string, token: string, readings: unknown[]): Promise<void> {
  const body = JSON.stringify({ readings });
  for (;;) {
    const res = await fetch(`${url}/api/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    await res.arrayBuffer();
    if (res.status === 202) return;
    if (res.status < 500) throw new Error(`refused ${res.status}`);
  }
}

/**
 * Posts like a fleet behind `concurrency` gateways: devices are split into
 * lanes, each lane sends its own devices' batches one after another, so every
 * device's readings arrive in time order (as real meters send them).
 */
export async function postAll(url: string, token: string, ids: string[], o: IngestOptions) {
  const lanes = Array.from({ length: o.concurrency }, (_, l) =>
    ids.filter((_, i) => i % o.concurrency === l),
  );
  const perLane = Math.ceil(o.readings / o.concurrency);
  await Promise.all(
    lanes.map(async (laneIds) => {
      for (const batch of makeBatches(laneIds, perLane, o.batch)) {
        await postUntilAccepted(url, token, batch);
      }
    }),
  );
  return perLane * o.concurrency;
}

export async function waitVisible(sql: postgres.Sql, total: number, timeoutMs = 600_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await sql<{ n: number }[]>`select coalesce(sum(readings), 0)::int as n from hourly`;
    if ((row?.n ?? 0) >= total) return;
    if (Date.now() > until) throw new Error(`only ${row?.n} of ${total} visible`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Distributed (1 api + 1 runtime) or single-process (`ems start` over the same Postgres, no Redis). */
export async function benchEms(mode: 'distributed' | 'single', o: IngestOptions): Promise<IngestResult> {
  const cluster: Cluster = await startCluster({ shards: 64 });
  // BENCH_NODE_ARGS: flags for the ems processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const extra: Record<string, string> = process.env.BENCH_NODE_ARGS
    ? { NODE_EXTRA_ARGS: process.env.BENCH_NODE_ARGS }
    : {};
  try {
    let url: string;
    if (mode === 'distributed') {
      await cluster.start('runtime', extra);
      url = (await cluster.start('api', extra)).url;
    } else {
      url = (await cluster.startStart(extra)).url;
    }
    const token = await adminToken(url);
    const ids = await createDevices(url, token, o.devices, 'Bench');
    const started = performance.now();
    const total = await postAll(url, token, ids, o);
    const postedAt = performance.now();
    await waitVisible(cluster.sql, total);
    const name =
      mode === 'distributed'
        ? 'EMS distributed (1 api + 1 runtime, Redis)'
        : 'EMS single process (ems start on the same Postgres, no Redis)';
    return { ...rate(name, total, started), acceptedPerSecond: total / ((postedAt - started) / 1000) };
  } finally {
    if (extra.NODE_EXTRA_ARGS) {
      // A profile is written on a clean exit only: stop the processes gently first.
      for (const n of cluster.nodes) n.signal('SIGTERM');
      await Promise.all(cluster.nodes.map((n) => n.exited));
    }
    await cluster.close();
  }
}

/** The result of `readings` stored in the time since `started` (a performance.now()). */
function rate(name: string, readings: number, started: number): IngestResult {
  const seconds = (performance.now() - started) / 1000;
  return { name, readings, seconds, perSecond: readings / seconds };
}

async function scratchSchema(url: string) {
  const schema = `b_${randomUUID().slice(0, 8)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create schema "${schema}"`);
  await admin.end();
  const sql = postgres(`${url}?search_path=${schema}`, { max: 8, onnotice: () => {} });
  await sql`create table hourly (device_id uuid, hour_start timestamptz, kwh numeric not null, readings int not null, primary key (device_id, hour_start))`;
  await sql`create table readings (device_id uuid, ts timestamptz, value float8 not null, primary key (device_id, ts))`;
  return {
    sql,
    async drop() {
      await sql.end();
      const a = postgres(url, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop schema "${schema}" cascade`);
      await a.end();
    },
  };
}

/** The naive design: for each reading, one upsert of its hourly row (8 connections in parallel). */
export async function benchNaive(url: string, o: IngestOptions): Promise<IngestResult> {
  const { sql, drop } = await scratchSchema(url);
  try {
    const ids = Array.from({ length: o.devices }, () => randomUUID());
    const rows = makeBatches(ids, o.readings, o.readings)[0]!;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < rows.length) {
          const r = rows[next++]!;
          const hour = new Date(Math.floor(r.timestamp / 3_600_000) * 3_600_000);
          await sql`insert into hourly values (${r.deviceId}, ${hour}, ${r.value}, 1)
            on conflict (device_id, hour_start) do update set kwh = hourly.kwh + excluded.kwh, readings = hourly.readings + 1`;
        }
      }),
    );
    return rate('naive: one SQL upsert per reading', rows.length, started);
  } finally {
    await drop();
  }
}

/** The ceiling: the same rows COPYed into a keyed table. */
export async function benchCopy(url: string, o: IngestOptions): Promise<IngestResult> {
  const { sql, drop } = await scratchSchema(url);
  try {
    const ids = Array.from({ length: o.devices }, () => randomUUID());
    const rows = makeBatches(ids, o.readings, o.readings)[0]!;
    const started = performance.now();
    const writable = await sql`copy readings (device_id, ts, value) from stdin`.writable();
    const lines = function* () {
      for (let i = 0; i < rows.length; i += 1000) {
        yield rows
          .slice(i, i + 1000)
          .map((r) => `${r.deviceId}\t${new Date(r.timestamp).toISOString()}\t${r.value}\n`)
          .join('');
      }
    };
    await pipeline(Readable.from(lines()), writable);
    return rate('ceiling: COPY into a keyed table', rows.length, started);
  } finally {
    await drop();
  }
}
