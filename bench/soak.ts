/**
 * Soak: does the cluster stay flat under a long steady load? (issue 12 item 4)
 *
 * 2 api + 2 runtime processes (startCluster: real Postgres, Redis on
 * loopback), 1000 Socket.IO sockets signed in with admin tokens and spread
 * over the api nodes, readings posted round-robin in fixed-size batches at a
 * steady rate: half of the capacity measured by a short probe at start
 * (or SOAK_RATE). Every sample reads each process's RSS and heap from its own
 * /metrics (prom-client default metrics, `ems_` prefix) and the shard queues'
 * backlog (BullMQ waiting + prioritized + delayed jobs, via Redis). The guard
 * is a leak or an unbounded queue: memory after the warm-up must stay flat and
 * the backlog must not climb.
 *
 * Env: SOAK_MINUTES (10), SOAK_SAMPLE_S (10), SOAK_RATE (readings/s; default
 * half the probe), SOAK_PROBE_S (15), SOAK_WARMUP_S (120, capped at half the
 * run), SOAK_SOCKETS (1000), SOAK_DEVICES (1000), SOAK_BATCH (1000), SOAK_STEP_MS (1000:
 * ms between two readings of a device).
 */
import { Queue } from 'bullmq';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { SHARD_QUEUE_NAME } from '../actors/messages.ts';
import { adminToken, client, type NodeProcess, startCluster } from '../cli/testing/cluster.ts';
import { duplicateConnection } from '../runtime/redis/connect.ts';
import { redisKeys } from '../runtime/redis/keys.ts';
import { createDevices } from './devices.ts';

export interface SoakOptions {
  minutes: number;
  sampleSeconds: number;
  /** Fixed readings/s; undefined: half the probed capacity. */
  rate?: number;
  probeSeconds: number;
  warmupSeconds: number;
  sockets: number;
  devices: number;
  batch: number;
  /** Time between two readings of one device, ms (SOAK_STEP_MS, default 1000). */
  stepMs: number;
  onProgress?: (message: string) => void;
}

export function soakOptionsFromEnv(env = process.env): SoakOptions {
  const num = (name: string, fallback: number) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${v}"`);
    return n;
  };
  return {
    minutes: num('SOAK_MINUTES', 10),
    sampleSeconds: num('SOAK_SAMPLE_S', 10),
    rate: env.SOAK_RATE ? num('SOAK_RATE', 1) : undefined,
    probeSeconds: num('SOAK_PROBE_S', 15),
    warmupSeconds: num('SOAK_WARMUP_S', 120),
    sockets: num('SOAK_SOCKETS', 1000),
    devices: num('SOAK_DEVICES', 1000),
    batch: num('SOAK_BATCH', 1000),
    stepMs: num('SOAK_STEP_MS', 1000),
  };
}

export interface ProcessSample {
  rssMb: number;
  heapMb: number;
  /** Heap left after the process's latest full GC (V8 --trace-gc Mark-Compact), MB: the live set, no garbage. */
  liveMb: number;
}

/** `--trace-gc` line of a full GC: "Mark-Compact 45.2 (60.1) -> 38.1 (58.0) MB". */
const MARK_COMPACT = /Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/;

/** The heap after the latest full GC found in `logs` (NaN before the first one). */
function liveAfterLastFullGc(logs: string[]): number {
  for (let i = logs.length - 1; i >= 0; i--) {
    const m = MARK_COMPACT.exec(logs[i]!);
    if (m) return Number(m[1]);
  }
  return Number.NaN;
}

export interface SoakSample {
  /** Seconds since the steady load started. */
  t: number;
  /** Per process, in `processes` order. */
  procs: ProcessSample[];
  /** Jobs waiting in the shard queues (waiting + prioritized + delayed). */
  backlog: number;
  /** Readings answered 202 per second over the interval. */
  acceptedPerSecond: number;
  /** Readings stored by the runtime nodes per second over the interval. */
  appliedPerSecond: number;
  /** Sockets still connected. */
  sockets: number;
}

export interface SoakResult {
  options: SoakOptions;
  processes: string[];
  capacity?: number;
  rate: number;
  samples: SoakSample[];
  warmupSeconds: number;
  /** Per process, after the warm-up: last third over first third (RSS: medians; heap: minimums, the post-GC floor). */
  rssGrowth: number[];
  heapGrowth: number[];
  /** Heap after a full GC: last third over first third, medians. */
  liveGrowth: number[];
  maxBacklog: number;
  /** Max backlog after the warm-up, and in the last quarter of the run: bounded means not climbing. */
  maxBacklogAfterWarmup: number;
  maxBacklogLastQuarter: number;
  posted: number;
  accepted: number;
  /** Batches not sent because `MAX_IN_FLIGHT` were still unanswered (the cluster fell behind the rate). */
  skippedBatches: number;
  refused: number;
  socketsConnected: number;
  socketsAtEnd: number;
}

const MAX_IN_FLIGHT = 16;

/** prom-client text format: the value of an unlabelled metric. */
function metricValue(text: string, name: string): number {
  const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm'));
  if (!m) throw new Error(`metric ${name} not found on /metrics`);
  return Number(m[1]);
}

/** Sum of a metric over all its label sets (0 when absent: an api node has no runtime counters). */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'gm')))
    sum += Number(m[1]);
  return sum;
}

async function scrape(node: NodeProcess): Promise<string> {
  const res = await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`${node.nodeId} /metrics answered ${res.status}`);
  return res.text();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchSoak(o: SoakOptions): Promise<SoakResult> {
  const progress = o.onProgress ?? (() => {});
  const shards = 16;
  const cluster = await startCluster({ shards });
  const sockets: Socket[] = [];
  const queues: Queue[] = [];
  const queueRedis = duplicateConnection(cluster.redis);
  try {
    // --trace-gc: heap used sampled at a random point of the GC cycle is a sawtooth; what a leak
    // raises is the heap left after a full GC, which V8 prints on stdout (collected in node.logs).
    const gc = { NODE_EXTRA_ARGS: '--trace-gc' };
    const nodes = [
      await cluster.start('runtime', gc),
      await cluster.start('runtime', gc),
      await cluster.start('api', gc),
      await cluster.start('api', gc),
    ];
    const apis = nodes.filter((n) => n.role === 'api');
    const runtimes = nodes.filter((n) => n.role === 'runtime');
    for (const r of runtimes) {
      // The ops port is logged just after "runtime node started".
      for (let i = 0; !r.url && i < 100; i++) await sleep(50);
      if (!r.url) throw new Error(`${r.nodeId}: no ops endpoint`);
    }
    const processes = nodes.map((n) => `${n.nodeId} (pid ${n.proc.pid})`);
    const admin = await adminToken(apis[0]!.url);
    const ids = await createDevices(apis[0]!.url, admin, o.devices, 'Soak');

    // Sockets: as admins' dashboards, with a pool of personal access tokens, spread over the api nodes.
    const tokens: string[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await client(apis[0]!.url, admin)<{ token: string }>('POST', '/api/tokens', {
        name: `soak ${i}`,
      });
      if (res.status !== 201) throw new Error(`token not created: ${res.status}`);
      tokens.push(res.body.token);
    }
    for (let i = 0; i < o.sockets; i += 250) {
      const wave = Array.from({ length: Math.min(250, o.sockets - i) }, (_, k) => {
        const socket = connectSocket(apis[(i + k) % apis.length]!.url, {
          path: '/socket.io',
          auth: { token: tokens[(i + k) % tokens.length] },
          transports: ['websocket'],
          forceNew: true,
          timeout: 20_000,
        });
        sockets.push(socket);
        return new Promise<boolean>((resolve) => {
          socket.once('connect', () => resolve(true));
          socket.once('connect_error', () => resolve(false));
        });
      });
      await Promise.all(wave);
    }
    const socketsConnected = sockets.filter((s) => s.connected).length;
    progress(
      `soak: ${processes.join(', ')} up; ${ids.length} devices; ${socketsConnected}/${o.sockets} sockets`,
    );

    const keys = redisKeys(cluster.prefix, SHARD_QUEUE_NAME);
    for (let s = 0; s < shards; s++)
      queues.push(new Queue(keys.queueName(s), { connection: queueRedis, prefix: keys.bullPrefix(s) }));
    const backlog = async () => {
      const counts = await Promise.all(
        queues.map((q) => q.getJobCounts('waiting', 'prioritized', 'delayed')),
      );
      return counts.reduce((n, c) => n + (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0), 0);
    };
    const applied = async () =>
      (await Promise.all(runtimes.map(scrape))).reduce(
        (n, t) =>
          n + metricSum(t, 'ems_readings_applied_total') + metricSum(t, 'ems_readings_duplicate_total'),
        0,
      );

    // Readings: device n % D, stepMs apart per device (each device's rolling window holds an hour of
    // them: with 1 s steps it keeps filling until an hour of reading time has been sent), from three days ago (old hours: alerts are stored, not pushed).
    const base = Date.now() - 3 * 86_400_000;
    let seq = 0;
    let batches = 0;
    let accepted = 0;
    let refused = 0;
    const nextBatch = () => {
      const readings = [];
      for (let i = 0; i < o.batch; i++) {
        const n = seq++;
        readings.push({
          deviceId: ids[n % ids.length]!,
          timestamp: base + Math.floor(n / ids.length) * o.stepMs,
          value: ((n % 9) + 1) / 1000,
        });
      }
      return JSON.stringify({ readings });
    };
    /** One batch, resent (to the next node) until answered 202. */
    const send = async () => {
      const body = nextBatch();
      for (let attempt = 0; ; attempt++) {
        const url = apis[(batches++ + attempt) % apis.length]!.url;
        try {
          const res = await fetch(`${url}/api/readings`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
            body,
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          if (res.status === 202) {
            accepted += o.batch;
            return;
          }
          if (res.status < 500) throw new Error(`readings refused: ${res.status}`);
        } catch (err) {
          if ((err as Error).message.startsWith('readings refused')) throw err;
        }
        refused++;
        await sleep(100);
      }
    };

    // Capacity probe: 4 lanes posting back to back for probeSeconds, timed until every reading is applied.
    let capacity: number | undefined;
    let rate = o.rate;
    if (rate === undefined) {
      const started = performance.now();
      const until = started + o.probeSeconds * 1000;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (performance.now() < until) await send();
        }),
      );
      const want = accepted;
      for (let i = 0; (await applied()) < want; i++) {
        if (i > 1200) throw new Error('capacity probe: readings not applied within 120 s');
        await sleep(100);
      }
      capacity = want / ((performance.now() - started) / 1000);
      rate = capacity / 2;
      progress(
        `soak: probe ${want} readings, capacity ${Math.round(capacity)}/s, soak at ${Math.round(rate)}/s`,
      );
    }

    // Steady load: one batch every batch/rate seconds, at most MAX_IN_FLIGHT unanswered.
    const intervalMs = (o.batch / rate) * 1000;
    const durationMs = o.minutes * 60_000;
    const startedAt = performance.now();
    let inFlight = 0;
    let posted = 0;
    let skippedBatches = 0;
    let failure: Error | undefined;
    const pacer = (async () => {
      for (let k = 0; ; k++) {
        const due = startedAt + k * intervalMs;
        if (due >= startedAt + durationMs || failure) break;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (inFlight >= MAX_IN_FLIGHT) {
          skippedBatches++;
          continue;
        }
        inFlight++;
        posted += o.batch;
        send()
          .catch((err: Error) => {
            failure = err;
          })
          .finally(() => inFlight--);
      }
    })();

    const samples: SoakSample[] = [];
    let lastAt = startedAt;
    let lastAccepted = accepted;
    let lastApplied = await applied();
    for (let k = 1; k * o.sampleSeconds * 1000 <= durationMs; k++) {
      const wait = startedAt + k * o.sampleSeconds * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      if (failure) throw failure;
      const texts = await Promise.all(nodes.map(scrape));
      const now = performance.now();
      const appliedNow = texts.reduce(
        (n, t) =>
          n + metricSum(t, 'ems_readings_applied_total') + metricSum(t, 'ems_readings_duplicate_total'),
        0,
      );
      const dt = (now - lastAt) / 1000;
      const sample: SoakSample = {
        t: (now - startedAt) / 1000,
        procs: texts.map((t, i) => ({
          rssMb: metricValue(t, 'ems_process_resident_memory_bytes') / 2 ** 20,
          heapMb: metricValue(t, 'ems_nodejs_heap_size_used_bytes') / 2 ** 20,
          liveMb: liveAfterLastFullGc(nodes[i]!.logs),
        })),
        backlog: await backlog(),
        acceptedPerSecond: (accepted - lastAccepted) / dt,
        appliedPerSecond: (appliedNow - lastApplied) / dt,
        sockets: sockets.filter((s) => s.connected).length,
      };
      lastAt = now;
      lastAccepted = accepted;
      lastApplied = appliedNow;
      samples.push(sample);
      progress(
        `soak: ${formatSample(sample)} (in flight ${inFlight}, skipped ${skippedBatches}, retried ${refused})`,
      );
    }
    await pacer;
    while (inFlight > 0) await sleep(50);
    if (failure) throw failure;

    const warmupSeconds = Math.min(o.warmupSeconds, (o.minutes * 60) / 2);
    const after = samples.filter((s) => s.t > warmupSeconds);
    // Windows: the first and last third of the samples after the warm-up. Heap used is a sawtooth
    // (sampled at any point of a GC cycle), so a leak shows as a rising floor: its min is compared;
    // RSS moves slowly, its median is compared.
    const growth = (pick: (p: ProcessSample) => number, of: (xs: number[]) => number) =>
      nodes.map((_, i) => {
        if (after.length < 2) return Number.NaN;
        const n = Math.max(1, Math.floor(after.length / 3));
        const first = of(after.slice(0, n).map((s) => pick(s.procs[i]!)));
        const last = of(after.slice(-n).map((s) => pick(s.procs[i]!)));
        return last / first - 1;
      });
    const lastQuarter = samples.filter((s) => s.t > (o.minutes * 60 * 3) / 4);
    return {
      options: o,
      processes,
      capacity,
      rate,
      samples,
      warmupSeconds,
      rssGrowth: growth((p) => p.rssMb, median),
      heapGrowth: growth(
        (p) => p.heapMb,
        (xs) => Math.min(...xs),
      ),
      liveGrowth: growth(
        (p) => p.liveMb,
        (xs) => median(xs.filter((x) => !Number.isNaN(x))),
      ),
      maxBacklog: Math.max(0, ...samples.map((s) => s.backlog)),
      maxBacklogAfterWarmup: Math.max(0, ...after.map((s) => s.backlog)),
      maxBacklogLastQuarter: Math.max(0, ...lastQuarter.map((s) => s.backlog)),
      posted,
      accepted,
      skippedBatches,
      refused,
      socketsConnected,
      socketsAtEnd: sockets.filter((s) => s.connected).length,
    };
  } finally {
    for (const s of sockets) s.close();
    await Promise.all(queues.map((q) => q.close()));
    queueRedis.disconnect();
    await cluster.close();
  }
}

function formatSample(s: SoakSample): string {
  const procs = s.procs.map((p) => `${p.rssMb.toFixed(0)}/${p.heapMb.toFixed(0)}`).join(' | ');
  return `t=${s.t.toFixed(0)}s ${procs} backlog ${s.backlog} accepted ${Math.round(s.acceptedPerSecond)}/s applied ${Math.round(s.appliedPerSecond)}/s sockets ${s.sockets}`;
}

/** The markdown table and verdict of a soak run. */
export function soakReport(r: SoakResult): string[] {
  const pct = (x: number) => (Number.isNaN(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`);
  const out: string[] = [];
  out.push(
    `Processes: ${r.processes.join(', ')}. Cells are RSS / heap used / heap after the latest full GC, in MB (RSS and heap used from each process's /metrics, the last from its --trace-gc).`,
  );
  out.push('');
  out.push(
    `| t (s) | ${r.processes.map((p) => p.split(' ')[0]).join(' | ')} | backlog (jobs) | accepted readings/s | applied readings/s | sockets |`,
  );
  out.push(`|---:|${r.processes.map(() => '---:|').join('')}---:|---:|---:|---:|`);
  for (const s of r.samples)
    out.push(
      `| ${s.t.toFixed(0)} | ${s.procs.map((p) => `${p.rssMb.toFixed(0)} / ${p.heapMb.toFixed(0)} / ${Number.isNaN(p.liveMb) ? '–' : p.liveMb.toFixed(0)}`).join(' | ')} | ${s.backlog} | ${Math.round(s.acceptedPerSecond)} | ${Math.round(s.appliedPerSecond)} | ${s.sockets} |`,
    );
  out.push('');
  const growth = r.processes
    .map(
      (p, i) =>
        `${p.split(' ')[0]} RSS ${pct(r.rssGrowth[i]!)}, heap after full GC ${pct(r.liveGrowth[i]!)} (heap-used floor ${pct(r.heapGrowth[i]!)})`,
    )
    .join('; ');
  // Judged on RSS and the live heap after full GCs; the heap-used floor is shown, not judged (V8 lets garbage pile up between full GCs).
  const flat = [...r.rssGrowth, ...r.liveGrowth].every((g) => g <= 0.1);
  out.push(
    `Verdict: growth after the ${r.warmupSeconds} s warm-up (last third of the samples over the first third after it; medians; heap-used floor: minimums): ${growth}. ` +
      `Max backlog ${r.maxBacklog} jobs (after warm-up ${r.maxBacklogAfterWarmup}, last quarter ${r.maxBacklogLastQuarter}). ` +
      `Memory ${flat ? 'flat (RSS and heap after full GC ≤ 10 % in every process)' : 'NOT flat (RSS or heap after full GC > 10 % in some process, or no full GC seen)'}.`,
  );
  out.push('');
  out.push(
    `Load: ${r.capacity ? `probe capacity ${Math.round(r.capacity)} readings/s, ` : ''}target ${Math.round(r.rate)} readings/s in batches of ${r.options.batch}; ` +
      `${r.accepted.toLocaleString('en-US')} readings accepted in the soak and probe, ${r.skippedBatches} batches skipped (16 in flight), ${r.refused} retried; ` +
      `sockets ${r.socketsConnected} connected, ${r.socketsAtEnd} at the end.`,
  );
  return out;
}
