/**
 * Alert latency across processes: how long from a POST of a reading that puts
 * a device over its hourly limit until the owner's socket receives the
 * `alert`. Real processes on loopback: the POST goes to api node 1, a runtime
 * node applies it and publishes through Redis, the owner's socket is on api
 * node 2. Meanwhile a steady stream of interval readings for other devices
 * flows through api node 1, so the alert's shard job queues behind real work.
 *
 * Each sample is its own device pushed over its limit once (one alert per
 * device-hour), measured one after another so a sample never waits for
 * another sample's alert. The devices are warmed first (one small reading),
 * so the numbers describe resident actors, as in steady operation.
 */
import { io as connectSocket, type Socket } from 'socket.io-client';
import { adminToken, type Cluster, client, startCluster } from '../cli/testing/cluster.ts';
import { createDevices } from './devices.ts';

export interface AlertLatencyOptions {
  /** Devices pushed over their limit, one measured alert each. Default 200. */
  samples?: number;
  /** Devices fed by the background load. Default 200; 0: no background load (a baseline). */
  backgroundDevices?: number;
  /** Readings per background POST. Default 200. */
  backgroundBatch?: number;
  /** Pause between background POSTs (one in flight at a time). Default 100 ms. */
  backgroundPauseMs?: number;
  /** A sample whose alert does not arrive within this is counted as missed. Default 15 s. */
  sampleTimeoutMs?: number;
  /** Sampling stops after this long even if fewer samples were taken. Default 75 s. */
  budgetMs?: number;
  /** Progress lines (setup steps), e.g. `console.error`. */
  onProgress?: (message: string) => void;
}

export interface AlertLatencyResult {
  /** Alerts received and measured. */
  samples: number;
  /** Samples whose alert did not arrive within the timeout. */
  missed: number;
  /** Milliseconds from just before fetch() to the `alert` event on the owner's socket. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Milliseconds from just before fetch() to the 202 (reading durable in Redis). */
  acceptedP50: number;
  backgroundReadings: number;
  backgroundPerSecond: number;
  /** Background readings accepted but not yet in the aggregates when sampling ended. */
  backgroundBacklog: number;
  /** Background POSTs the api refused (e.g. 503 while overloaded). */
  backgroundRefused: number;
  seconds: number;
}

const HOUR = 3_600_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function postReadings(url: string, token: string, readings: unknown[]): Promise<void> {
  const res = await fetch(`${url}/api/readings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ readings }),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`readings refused: ${res.status}`);
}

async function readingsVisible(cluster: Cluster): Promise<number> {
  const [row] = await cluster.sql<{ n: number }[]>`select coalesce(sum(readings), 0)::int as n from hourly`;
  return row?.n ?? 0;
}

/** Rejects if `promise` has not settled within `ms`: a stuck setup step must not hang the run. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Interval readings for `ids`, old enough that they raise no pushed events, one POST in flight. */
function startBackground(url: string, token: string, ids: string[], batch: number, pauseMs: number) {
  let running = true;
  let seq = 0;
  const base = Date.now() - 2 * 86_400_000;
  const state = { accepted: 0, refused: 0, stop: async () => {} };
  const loop = (async () => {
    while (running && ids.length > 0) {
      const readings = Array.from({ length: batch }, () => {
        const n = seq++;
        return {
          deviceId: ids[n % ids.length]!,
          timestamp: base + Math.floor(n / ids.length) * 1000,
          value: 0.001,
        };
      });
      try {
        await postReadings(url, token, readings);
        state.accepted += readings.length;
      } catch {
        state.refused++; // a busy api answering 503 is part of the load, not a reason to stop it
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  state.stop = async () => {
    running = false;
    await loop;
  };
  return state;
}

export async function benchAlertLatency(options: AlertLatencyOptions = {}): Promise<AlertLatencyResult> {
  const samples = options.samples ?? 200;
  const timeoutMs = options.sampleTimeoutMs ?? 15_000;
  const progress = options.onProgress ?? (() => {});
  const cluster = await startCluster({ shards: 64 });
  let socket: Socket | undefined;
  try {
    await within(60_000, 'runtime node start', cluster.start('runtime'));
    const api1 = await within(60_000, 'api node 1 start', cluster.start('api'));
    const api2 = await within(60_000, 'api node 2 start', cluster.start('api'));
    progress('alert latency: 1 runtime + 2 api nodes started');
    const admin = await adminToken(api1.url);
    const created = await client(api1.url, admin)<{ id: string }>('POST', '/api/users', {
      username: 'owner',
      password: 'owner-password',
      name: 'Owner',
      role: 'client',
    });
    if (created.status !== 201) throw new Error(`owner not created: ${created.status}`);
    const login = await client(api1.url)<{ token: string }>('POST', '/api/auth/login', {
      username: 'owner',
      password: 'owner-password',
    });
    const ownerId = created.body.id;

    const alertIds = await within(
      60_000,
      'creating sampled devices',
      createDevices(api1.url, admin, samples, 'Latency', { maxHourlyKwh: 1, ownerId }),
    );
    const backgroundIds = await within(
      60_000,
      'creating background devices',
      createDevices(api1.url, admin, options.backgroundDevices ?? 200, 'Latency background', {
        maxHourlyKwh: 1e9,
      }),
    );

    progress(`alert latency: ${alertIds.length + backgroundIds.length} devices created`);
    // The owner's socket, on the other api node than the POSTs.
    socket = connectSocket(api2.url, {
      path: '/socket.io',
      auth: { token: login.body.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const waiting = new Map<string, (at: number) => void>();
    socket.on('alert', (alert: { deviceId: string; kind: string }) => {
      const at = performance.now();
      if (alert.kind === 'exceeded') waiting.get(alert.deviceId)?.(at);
    });
    await within(
      30_000,
      'owner socket',
      new Promise<void>((resolve, reject) => {
        socket!.once('connect', resolve);
        socket!.once('connect_error', reject);
      }),
    );

    // Warm every sampled device's actor with a small reading in the current hour.
    const warmAt = Math.max(Math.floor(Date.now() / HOUR) * HOUR, Date.now() - 5000);
    await postReadings(
      api1.url,
      admin,
      alertIds.map((deviceId) => ({ deviceId, timestamp: warmAt, value: 0.01 })),
    );
    const warmUntil = Date.now() + 60_000;
    while ((await readingsVisible(cluster)) < samples) {
      if (Date.now() > warmUntil) throw new Error('warm-up readings not in the aggregates after 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }

    progress('alert latency: devices warmed, starting background load');
    const background = startBackground(
      api1.url,
      admin,
      backgroundIds,
      options.backgroundBatch ?? 200,
      options.backgroundPauseMs ?? 100,
    );
    await new Promise((r) => setTimeout(r, 2000)); // steady state before the first sample
    const loadStarted = performance.now();
    const acceptedBefore = background.accepted;

    const latencies: number[] = [];
    const accepted: number[] = [];
    let missed = 0;
    const budgetEnds = performance.now() + (options.budgetMs ?? 75_000);
    for (const deviceId of alertIds) {
      if (performance.now() > budgetEnds) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arrived = new Promise<number | null>((resolve) => {
        waiting.set(deviceId, resolve);
        timer = setTimeout(() => resolve(null), timeoutMs);
      });
      const started = performance.now();
      await postReadings(api1.url, admin, [{ deviceId, timestamp: Date.now(), value: 1.5 }]);
      accepted.push(performance.now() - started);
      const at = await arrived;
      clearTimeout(timer);
      waiting.delete(deviceId);
      if (at === null) missed++;
      else latencies.push(at - started);
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const backgroundReadings = background.accepted - acceptedBefore;
    const taken = latencies.length + missed;
    const backlog = background.accepted - ((await readingsVisible(cluster)) - samples - latencies.length);
    await background.stop();

    latencies.sort((a, b) => a - b);
    accepted.sort((a, b) => a - b);
    progress(`alert latency: ${taken} of ${alertIds.length} samples taken`);
    return {
      samples: latencies.length,
      missed,
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? Number.NaN,
      mean: latencies.reduce((s, x) => s + x, 0) / Math.max(1, latencies.length),
      acceptedP50: percentile(accepted, 50),
      backgroundReadings,
      backgroundPerSecond: backgroundReadings / loadSeconds,
      backgroundBacklog: Math.max(0, backlog),
      backgroundRefused: background.refused,
      seconds: loadSeconds,
    };
  } finally {
    socket?.close();
    await cluster.close();
  }
}
