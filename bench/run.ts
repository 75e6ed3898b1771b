/**
 * `npm run bench`: runs the benchmarks, prints a table and writes
 * docs/BENCHMARKS.md. Sizes can be scaled with BENCH_READINGS (default 200000).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { TEST_DATABASE_URL } from '../api/testing.ts';
import { benchActorMemory } from './actor-memory.ts';
import { benchAlertLatency } from './alert-latency.ts';
import { benchApi } from './api.ts';
import { benchCluster } from './cluster.ts';
import { benchCommitPath } from './commit-path.ts';
import { benchFleet } from './fleet.ts';
import { benchHistory } from './history.ts';
import { benchCopy, benchEms, benchNaive, type IngestOptions, type IngestResult } from './ingest.ts';
import { benchMqtt } from './mqtt.ts';
import { benchSimulator } from './simulator.ts';
import { benchSoak, soakOptionsFromEnv, soakReport } from './soak.ts';
import { benchSockets } from './sockets.ts';

const opts: IngestOptions = {
  devices: Number(process.env.BENCH_DEVICES ?? 2000),
  readings: Number(process.env.BENCH_READINGS ?? 200_000),
  batch: 5000,
  concurrency: 4,
};
const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const lines: string[] = [];
const say = (s = '') => {
  console.log(s);
  lines.push(s);
};

say(`# Benchmarks`);
say();
say(
  `Command: \`npm run bench\` (BENCH_READINGS=${opts.readings}, BENCH_DEVICES=${opts.devices}). Measured ${new Date().toISOString()} on`,
);
say(
  `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version},`,
);
say(
  'local PostgreSQL 15 and Redis 7 on the same machine (everything shares 2 cores: load generator, api, runtime, Postgres, Redis).',
);
say();

if (want('api')) {
  const r = await benchApi();
  say('## Start-up and API');
  say();
  say('`ems start` with the embedded database (PGlite, one connection): time until `/readyz` answers 200.');
  say();
  say('| cold start (new data dir) ms | warm start ms |');
  say('|---:|---:|');
  say(`| ${fmt(r.coldStartMs)} | ${fmt(r.warmStartMs)} |`);
  say();
  say(
    'Reads: authenticated `GET /api/devices` (20 devices, an admin login token) with autocannon, 16 connections for',
  );
  say(
    '10 s, after `/healthz` of the same process for 10 s (the same-run baseline: HTTP alone). Log level `warn`.',
  );
  say(
    "CPU µs/req is the measured process's own CPU time (user + system, from /proc) per request: unlike req/s it",
  );
  say(
    'hardly moves when other work shares the cores (Postgres CPU is not in it; PGlite runs inside the process).',
  );
  say();
  say(
    '| process | /healthz req/s | GET /api/devices req/s | ÷ /healthz | p50 ms | p99 ms | /healthz CPU µs/req | devices CPU µs/req |',
  );
  say('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.reads)
    say(
      `| ${x.target} | ${fmt(x.healthzPerSecond)} | ${fmt(x.devicesPerSecond)} | ${(x.devicesPerSecond / x.healthzPerSecond).toFixed(2)} | ${x.devicesLatencyP50Ms} | ${x.devicesLatencyP99Ms} | ${fmt(x.healthzCpuUs)} | ${fmt(x.devicesCpuUs)} |`,
    );
  say();
}

if (want('ingest')) {
  const results: IngestResult[] = [];
  const naiveOpts = { ...opts, readings: Math.min(opts.readings, 50_000) };
  results.push(await benchNaive(TEST_DATABASE_URL, naiveOpts));
  results.push(await benchCopy(TEST_DATABASE_URL, opts));
  results.push(await benchEms('distributed', opts));
  results.push(await benchEms('single', opts));
  const naive = results[0]!.perSecond;
  const ceiling = results[1]!.perSecond;
  say('## End-to-end ingest');
  say();
  say(
    `HTTP batches of ${opts.batch} readings, ${opts.concurrency} in flight, ${opts.devices} devices; timed from the first POST until every`,
  );
  say(
    'reading is visible in the hourly aggregates. References measured in the same run on the same Postgres.',
  );
  say();
  say('| run | readings | seconds | readings/s | × naive | × ceiling | answered 202 at |');
  say('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    say(
      `| ${r.name} | ${fmt(r.readings)} | ${r.seconds.toFixed(2)} | ${fmt(r.perSecond)} | ${(r.perSecond / naive).toFixed(2)} | ${(r.perSecond / ceiling).toFixed(2)} | ${r.acceptedPerSecond ? `${fmt(r.acceptedPerSecond)}/s` : '–'} |`,
    );
  }
  say();
  const c = await benchCommitPath(opts);
  say(
    "The runtime's commit path alone (`bench/commit-path.ts`: the shard processor and the Postgres store in one process,",
  );
  say(
    `the same jobs, no HTTP, no Redis): ${fmt(c.perSecond)} readings/s, ${fmt(c.perTransaction)} readings per transaction; CPU time per`,
  );
  say(
    `reading: Postgres backends ${c.postgresUs.toFixed(1)} µs, the process (actors, serialisation) ${c.nodeUs.toFixed(1)} µs.`,
  );
  // What those two alone allow on this machine's cores, with nothing else running (no api, no
  // Redis, no load generator): the most any end-to-end run here can reach.
  const cores = os.cpus().length;
  const bound = (cores * 1e6) / (c.postgresUs + c.nodeUs);
  say(
    `With every core doing only that work, ${cores} cores allow at most ${fmt(bound)} readings/s = ${(bound / ceiling).toFixed(2)} × the ceiling of this run.`,
  );
  say();
}

if (want('memory')) {
  const m = await benchActorMemory(Number(process.env.BENCH_ACTORS ?? 100_000));
  say('## Heap per resident device actor');
  say();
  say('| actors | heap before (MB) | heap after (MB) | bytes per actor |');
  say('|---:|---:|---:|---:|');
  say(
    `| ${fmt(m.actors)} | ${(m.before / 2 ** 20).toFixed(1)} | ${(m.after / 2 ** 20).toFixed(1)} | ${fmt(m.perActor)} |`,
  );
  say();
  say(
    'Each actor holds a config, the open hour and a rolling window with 6 readings (10-minute meter), as after an hour of traffic.',
  );
  say();
}

if (want('alerts')) {
  const a = await benchAlertLatency({ onProgress: (m) => console.error(m) });
  say('## Alert latency');
  say();
  say(
    "From just before `fetch()` of a POST on api node 1 to the `alert` event on the owner's socket on api node 2",
  );
  say('(2 api + 1 runtime processes over Redis), under a background ingest load through api node 1.');
  say();
  say('| samples | missed | p50 ms | p90 ms | p99 ms | max ms | 202 p50 ms | background readings/s |');
  say('|---:|---:|---:|---:|---:|---:|---:|---:|');
  say(
    `| ${a.samples} | ${a.missed} | ${a.p50.toFixed(1)} | ${a.p90.toFixed(1)} | ${a.p99.toFixed(1)} | ${a.max.toFixed(1)} | ${a.acceptedP50.toFixed(1)} | ${fmt(a.backgroundPerSecond)} |`,
  );
  say();
}

if (want('sockets')) {
  const r = await benchSockets({ onProgress: (m) => console.error(m) });
  say('## Sockets per api node and fan-out');
  say();
  say('| target | connected | failed | connect/s | api RSS before → after (MB) | KB per socket |');
  say('|---:|---:|---:|---:|---:|---:|');
  say(
    `| ${fmt(r.target)} | ${fmt(r.connected)} | ${r.failed} | ${fmt(r.connectPerSecond)} | ${r.apiRssBeforeMb.toFixed(0)} → ${r.apiRssAfterMb.toFixed(0)} | ${r.apiRssPerSocketKb.toFixed(1)} |`,
  );
  say();
  say(
    'Fan-out of one alert to the `admins` room (published through the Redis emitter, until the last socket has it):',
  );
  say();
  say('| admin sockets | median ms | rounds (ms) | fewest received |');
  say('|---:|---:|---|---:|');
  for (const f of r.fanout) {
    say(
      `| ${fmt(f.admins)} | ${f.medianMs.toFixed(1)} | ${f.roundsMs.map((x) => x.toFixed(0)).join(', ')} | ${fmt(f.minReceived)} |`,
    );
  }
  say();
}

if (want('simulator')) {
  const rows = await benchSimulator();
  say('## Simulator sending rate');
  say();
  say(
    '`ems simulate --speed max`, generated profile (200 devices × 500 readings, batches of 5000, 4 in flight), until every batch is acknowledged.',
  );
  say();
  say('| target | readings | seconds | readings/s |');
  say('|---|---:|---:|---:|');
  for (const r of rows)
    say(`| ${r.name} | ${fmt(r.readings)} | ${r.seconds.toFixed(2)} | ${fmt(r.perSecond)} |`);
  say();
}

if (want('mqtt')) {
  const connections = Number(process.env.BENCH_MQTT_CONNECTIONS ?? 4);
  const rows = await benchMqtt(
    {
      devices: 200,
      singleReadings: Number(process.env.BENCH_MQTT_SINGLE ?? 5_000),
      batchedReadings: Number(process.env.BENCH_MQTT_BATCHED ?? 50_000),
      perMessage: 50,
      connections,
    },
    (m) => console.error(m),
  );
  say('## MQTT ingest beside HTTP');
  say();
  say(
    `1 api (EMS_MQTT_CONNECTIONS=${connections}) + 1 runtime over Redis, Mosquitto 2 on loopback, 200 devices; each row timed from the`,
  );
  say(
    'first publish/POST until every reading is counted in the hourly totals. MQTT publishers stay at most 2,000 messages ahead of the',
  );
  say("api's acknowledgements (the broker's per-subscriber queue is bounded).");
  say();
  say('| path | readings | messages/requests | seconds | readings/s |');
  say('|---|---:|---:|---:|---:|');
  for (const r of rows)
    say(
      `| ${r.name} | ${fmt(r.readings)} | ${fmt(r.messages)} | ${r.seconds.toFixed(2)} | ${fmt(r.perSecond)} |`,
    );
}

if (want('fleet')) {
  const r = await benchFleet();
  say('## Fleet summary');
  say();
  say(
    `\`GET /api/fleet/summary\` through the app (auth, zod, JSON) against ${fmt(r.devices)} devices with their per-device live rows and ${fmt(r.alerts)} alerts of the last day; ${r.requests} requests one after another after a warm-up.`,
  );
  say();
  say('| benchmark | p50 ms | p95 ms |');
  say('|---|---:|---:|');
  say(`| fleet summary at 100k devices | ${r.p50Ms.toFixed(1)} | ${r.p95Ms.toFixed(1)} |`);
  say();
}

if (want('history')) {
  const r = await benchHistory(undefined, undefined, (m) => console.error(m));
  const kb = (b: number) => (b / 1024).toLocaleString('en-US', { maximumFractionDigits: 0 });
  say('## A year of history');
  say();
  say(
    `${fmt(r.devices)} devices (HISTORY_DEVICES) with a year of hourly aggregates (${fmt(r.hourlyRows)} rows) and a month of 10-minute raw`,
  );
  say(
    `readings (${fmt(r.rawRows)} rows in monthly partitions), seeded in SQL in ${r.seedSeconds.toFixed(0)} s. \`GET /api/devices/:id/consumption\``,
  );
  say(
    `through the app (auth, zod, JSON), a random device and period each time, ${r.requests} requests per view one after another after a warm-up.`,
  );
  say();
  const base = r.views[0]!;
  say('| view | buckets | p50 ms | p95 ms | p50 × baseline | target p95 ms |');
  say('|---|---:|---:|---:|---:|---:|');
  for (const v of r.views)
    say(
      `| ${v.name} | ${v.buckets || '–'} | ${v.p50Ms.toFixed(1)} | ${v.p95Ms.toFixed(1)} | ${(v.p50Ms / base.p50Ms).toFixed(1)} | ${v.targetMs ? `≤ ${v.targetMs}` : '–'} |`,
    );
  say();
  say('| disk per device-year | KiB |');
  say('|---|---:|');
  say(
    `| raw readings, 10-minute (one month measured × 365/30, with the primary key) | ${kb(r.rawBytesPerDeviceYear)} |`,
  );
  say(`| hourly aggregates (8,760 rows, with the primary key) | ${kb(r.hourlyBytesPerDeviceYear)} |`);
  say();
}

if (want('cluster')) {
  const results = await benchCluster(opts);
  const base = results[0]!;
  say('## Redis Cluster');
  say();
  say(
    `The distributed ingest (1 api + 1 runtime, 64 shards, ${opts.devices} devices, batches of ${opts.batch}, ${opts.concurrency} in flight) over one`,
  );
  say(
    'redis-server and over a 3-master Redis Cluster on loopback, both started by the benchmark with the same settings (AOF, everysec).',
  );
  say(
    "Commands: every node's `total_commands_processed` during the run, less the idle rate (measured for 3 s before it), per reading; share: per master.",
  );
  say();
  say(
    '| Redis | readings | seconds | readings/s | × one Redis | answered 202 at | commands/reading | idle commands/s | share per master |',
  );
  say('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results)
    say(
      `| ${r.name} | ${fmt(r.readings)} | ${r.seconds.toFixed(2)} | ${fmt(r.perSecond)} | ${(r.perSecond / base.perSecond).toFixed(2)} | ${fmt(r.acceptedPerSecond)}/s | ${r.commandsPerReading.toFixed(3)} | ${fmt(r.idleCommandsPerSecond)} | ${r.shares.map((x) => `${Math.round(x * 100)}%`).join(' / ')} |`,
    );
  say();
}

// Only when asked (`npm run bench -- soak`): it takes SOAK_MINUTES (10) plus start-up; not in CI.
if (only.includes('soak')) {
  const o = soakOptionsFromEnv();
  const r = await benchSoak({ ...o, onProgress: (m) => console.error(m) });
  say('## Soak');
  say();
  say(
    `2 api + 2 runtime processes over Redis, ${o.sockets} Socket.IO sockets (admins) spread over the api nodes, ${o.devices} devices,`,
  );
  say(
    `${o.minutes} min of steady ingest, sampled every ${o.sampleSeconds} s (SOAK_MINUTES=${o.minutes} SOAK_SAMPLE_S=${o.sampleSeconds} SOAK_STEP_MS=${o.stepMs}${o.rate ? ` SOAK_RATE=${o.rate}` : ''}), measured ${new Date().toISOString()}.`,
  );
  say();
  for (const line of soakReport(r)) say(line);
  say();
  // Kept beside analysis.md so that the next full `npm run bench` carries it into BENCHMARKS.md.
  const at = lines.indexOf('## Soak');
  writeFileSync(new URL('./soak.md', import.meta.url), `${lines.slice(at).join('\n').trimEnd()}\n`);
}

// The latest soak run (its own command, not part of the full run) and the hand-written reading of
// these numbers (where the time goes) follow the tables.
const soak = new URL('./soak.md', import.meta.url);
if (!only.includes('soak') && existsSync(soak)) lines.push(readFileSync(soak, 'utf8').trimEnd(), '');
const analysis = new URL('./analysis.md', import.meta.url);
if (existsSync(analysis)) lines.push(readFileSync(analysis, 'utf8').trimEnd());
if (only.length === 0)
  writeFileSync(new URL('../docs/BENCHMARKS.md', import.meta.url), `${lines.join('\n')}\n`);
process.exit(0);
