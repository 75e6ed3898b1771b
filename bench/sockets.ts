/**
 * How many signed-in sockets one api node holds, what they cost it in memory,
 * and how long one alert takes to reach every socket of the `admins` room.
 *
 * One `ems api` process on loopback (real Postgres and Redis). Sockets are
 * opened in waves from this process with socket.io-client over WebSocket, each
 * its own connection, signed in with one of a pool of administrator personal
 * access tokens (as many admins' dashboards would be). At a few sizes on the
 * way up, an alert is published exactly as a runtime node publishes one
 * (RedisEventPublisher on the cluster's Socket.IO key) and timed from the
 * publish until the last admin socket has it. The receiving sockets live in
 * this one process, so the fan-out time includes this process decoding every
 * copy: an upper bound on what the server needs.
 */
import { readFileSync } from 'node:fs';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { adminToken, client, startCluster } from '../cli/testing/cluster.ts';
import { duplicateConnection } from '../runtime/redis/connect.ts';
import { RedisEventPublisher } from '../runtime/redis/events.ts';
import { redisKeys } from '../runtime/redis/keys.ts';

export interface SocketsOptions {
  /** Sockets to try to open. Default 10 000 (capped below this process's open-file limit). */
  target?: number;
  /** Sockets opened at once per wave. Default 500. */
  wave?: number;
  /** Connected-socket counts at which the fan-out is measured (and at the end). Default [100, 1000, 5000]. */
  fanoutAt?: number[];
  /** Alerts published per fan-out measurement. Default 3. */
  fanoutRounds?: number;
  /** Opening sockets stops after this long. Default 70 s. */
  connectBudgetMs?: number;
  /** Distinct admin tokens the sockets sign in with. Default 100. */
  tokens?: number;
  onProgress?: (message: string) => void;
}

export interface FanoutResult {
  /** Admin sockets connected (all of them are in `admins`). */
  admins: number;
  /** Per round: ms from publish until the last socket received the alert. */
  roundsMs: number[];
  /** Per round: ms from publish until the first socket received it (Redis + adapter, before the spread). */
  firstMs: number[];
  medianMs: number;
  /** Sockets that received the alert in the slowest round (should equal `admins`). */
  minReceived: number;
}

export interface SocketsResult {
  requested: number;
  /** `requested`, capped below the open-file limit. */
  target: number;
  connected: number;
  failed: number;
  /** Seconds spent opening sockets, and the rate. */
  connectSeconds: number;
  connectPerSecond: number;
  /** The slowest wave: ms from its first connect() until its last socket connected. */
  slowestWaveMs: number;
  apiRssBeforeMb: number;
  apiRssAfterMb: number;
  apiRssPerSocketKb: number;
  /** This process (the clients), for scale. */
  clientRssMb: number;
  openFileLimit: number;
  fanout: FanoutResult[];
  /** Sockets still connected after the fan-out measurements (none dropped meanwhile). */
  stillConnected: number;
}

function rssMbOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return line ? Number(line[1]) / 1024 : Number.NaN;
}

/** The soft open-file limit of this process (children started by it inherit it). */
function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+(\d+|unlimited)/m);
  return !line || line[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(line[1]);
}

/** Opens one socket; resolves true once connected, false on a refusal or after `timeoutMs`. */
function open(
  url: string,
  token: string,
  timeoutMs: number,
): { socket: Socket; connected: Promise<boolean> } {
  const socket = connectSocket(url, {
    path: '/socket.io',
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true, // one WebSocket per socket, not multiplexed: the point is many connections
    timeout: timeoutMs,
  });
  const connected = new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('connect_error', () => resolve(false));
  });
  return { socket, connected };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;

export async function benchSockets(options: SocketsOptions = {}): Promise<SocketsResult> {
  const progress = options.onProgress ?? (() => {});
  const fdLimit = openFileLimit();
  // Each client socket holds one descriptor here and one in the api process (which inherits this limit).
  const requested = options.target ?? 10_000;
  const target = Math.min(requested, Math.floor(fdLimit * 0.9) - 100);
  const waveSize = options.wave ?? 500;
  const rounds = options.fanoutRounds ?? 3;
  const fanoutAt = [...(options.fanoutAt ?? [100, 1000, 5000])]
    .filter((n) => n < target)
    .sort((a, b) => a - b);

  const cluster = await startCluster({ shards: 16 });
  const redis = duplicateConnection(cluster.redis);
  const sockets: Socket[] = [];
  try {
    const api = await cluster.start('api');
    const pid = api.proc.pid!;
    const admin = await adminToken(api.url);
    const tokens: string[] = [];
    for (let i = 0; i < (options.tokens ?? 100); i++) {
      const res = await client(api.url, admin)<{ token: string }>('POST', '/api/tokens', {
        name: `bench ${i}`,
      });
      if (res.status !== 201) throw new Error(`token not created: ${res.status}`);
      tokens.push(res.body.token);
    }
    const events = new RedisEventPublisher(redis, redisKeys(cluster.prefix).socketIo);
    progress(`sockets: api node up (pid ${pid}), target ${target} sockets, open-file limit ${fdLimit}`);

    // Every socket counts alerts by id; a fan-out round waits until all have it.
    const received = new Map<
      string,
      { count: number; want: number; first: number; done: (at: number) => void }
    >();
    const onAlert = (alert: { id: string }) => {
      const r = received.get(alert.id);
      if (!r) return;
      if (++r.count === 1) r.first = performance.now();
      if (r.count === r.want) r.done(performance.now());
    };

    async function measureFanout(): Promise<FanoutResult> {
      const admins = sockets.filter((s) => s.connected).length;
      const roundsMs: number[] = [];
      const firstMs: number[] = [];
      let minReceived = admins;
      for (let round = 0; round < rounds; round++) {
        const id = crypto.randomUUID();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const arrived = new Promise<number | null>((resolve) => {
          received.set(id, { count: 0, want: admins, first: 0, done: resolve });
          timer = setTimeout(() => resolve(null), 30_000);
        });
        const started = performance.now();
        events.emit(['admins'], 'alert', {
          id,
          deviceId: crypto.randomUUID(),
          deviceName: 'Bench',
          ownerId: null,
          kind: 'exceeded',
          hourStart: new Date().toISOString(),
          kwh: 2,
          maxHourlyKwh: 1,
          late: false,
          createdAt: new Date().toISOString(),
          acknowledgedAt: null,
        });
        const at = await arrived;
        clearTimeout(timer);
        const got = received.get(id)!;
        minReceived = Math.min(minReceived, got.count);
        received.delete(id);
        if (at !== null) {
          roundsMs.push(at - started);
          firstMs.push(got.first - started);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      const shown = roundsMs.map((ms, i) => `${firstMs[i]!.toFixed(0)}→${ms.toFixed(0)}`).join(', ');
      progress(`sockets: fan-out to ${admins} admins (first→last ms): ${shown}`);
      return { admins, roundsMs, firstMs, medianMs: median(roundsMs), minReceived };
    }

    const rssBefore = rssMbOf(pid);
    const fanout: FanoutResult[] = [];
    let failed = 0;
    let slowestWaveMs = 0;
    const started = performance.now();
    const budgetEnds = started + (options.connectBudgetMs ?? 70_000);
    while (sockets.length < target && performance.now() < budgetEnds) {
      // Stop the wave at the next measuring point, so the fan-out is measured at that size.
      const next = fanoutAt.find((n) => n > sockets.length) ?? target;
      const size = Math.min(waveSize, next - sockets.length);
      const waveStarted = performance.now();
      const opened = Array.from({ length: size }, (_, i) =>
        open(api.url, tokens[(sockets.length + i) % tokens.length]!, 20_000),
      );
      const results = await Promise.all(opened.map((o) => o.connected));
      slowestWaveMs = Math.max(slowestWaveMs, performance.now() - waveStarted);
      opened.forEach((o, i) => {
        if (results[i]) {
          o.socket.on('alert', onAlert);
          sockets.push(o.socket);
        } else {
          failed++;
          o.socket.close();
        }
      });
      if (results.every((ok) => !ok)) break; // the node refuses every new socket: that is its limit
      if (fanoutAt.includes(sockets.length)) fanout.push(await measureFanout());
      if (sockets.length % 2000 < waveSize)
        progress(`sockets: ${sockets.length} connected, ${failed} failed`);
    }
    // Time spent measuring fan-out on the way is not connecting time.
    const fanoutMs = fanout.reduce((s, f) => s + f.roundsMs.reduce((a, b) => a + b, 0) + 200 * rounds, 0);
    const connectSeconds = (performance.now() - started - fanoutMs) / 1000;
    await new Promise((r) => setTimeout(r, 1000)); // let the node settle before reading its memory
    const rssAfter = rssMbOf(pid);
    fanout.push(await measureFanout());

    return {
      requested,
      target,
      connected: sockets.length,
      failed,
      connectSeconds,
      connectPerSecond: sockets.length / connectSeconds,
      slowestWaveMs,
      apiRssBeforeMb: rssBefore,
      apiRssAfterMb: rssAfter,
      apiRssPerSocketKb: ((rssAfter - rssBefore) * 1024) / Math.max(1, sockets.length),
      clientRssMb: process.memoryUsage().rss / 2 ** 20,
      openFileLimit: fdLimit,
      fanout,
      stillConnected: sockets.filter((s) => s.connected).length,
    };
  } finally {
    for (const s of sockets) s.close();
    redis.disconnect();
    await cluster.close();
  }
}
