/**
 * The composition root: builds api nodes and runtime nodes from a validated
 * Config. `ems start` runs both in one process (in-memory drivers and the
 * embedded database unless REDIS_URL / DATABASE_URL say otherwise);
 * `ems api` and `ems runtime` run one role each over Postgres and Redis.
 *
 * stop() is the drain every command runs on SIGTERM (docs/OPERATIONS.md):
 * /readyz turns 503 and the listener stops taking connections; the runtime
 * node finishes its jobs in flight and releases its leases (peers take the
 * shards at once, instead of waiting for the leases to expire); Socket.IO
 * sockets are sent away with a transport close, which socket.io-client treats
 * as "reconnect" (a DISCONNECT packet would tell it to stay away); then the
 * drivers and the database close.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { ShardProcessor } from '../actors/shard-processor.ts';
import { createApp } from '../api/app.ts';
import { JwtService } from '../api/auth/jwt.ts';
import { LoginThrottle } from '../api/auth/throttle.ts';
import type { AppDeps } from '../api/context.ts';
import { type Database, openDatabase } from '../api/db/connect.ts';
import { PostgresDeviceStore } from '../api/db/device-store.ts';
import { migrate } from '../api/db/migrate.ts';
import { opsRoutes } from '../api/ops/index.ts';
import { createMetrics, registerRuntimeMetrics } from '../api/ops/metrics.ts';
import { createRealtimeSetup } from '../api/realtime/setup.ts';
import { createMemoryDrivers } from '../runtime/memory/index.ts';
import { RuntimeNode } from '../runtime/node.ts';
import { createRedisDrivers, isConnectionError } from '../runtime/redis/index.ts';
import type { RuntimeDrivers } from '../runtime/types.ts';
import { ensureAdmin, jwtSecretFor } from './bootstrap.ts';
import { boundedStore } from './bounded-store.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

export interface Running {
  /** The HTTP server, when this process serves the api. */
  server?: Server;
  port?: number;
  /** The api's dependencies, when this process serves the api. */
  deps?: AppDeps;
  /** Stops gracefully: stop taking work, finish in-flight, release shards, close connections. */
  stop(): Promise<void>;
}

export interface Roles {
  api: boolean;
  runtime: boolean;
  /**
   * Without the api: still answer /healthz, /readyz and /metrics on PORT, so an
   * orchestrator can probe a runtime node (compose.yaml does).
   */
  ops?: boolean;
}

function poolSize(config: Config, db: 'embedded' | 'server') {
  return db === 'embedded' ? 1 : config.EMS_DB_POOL;
}

export async function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.EMS_DATA_DIR,
    max: poolSize(config, config.DATABASE_URL ? 'server' : 'embedded'),
  });
}

type Drivers = RuntimeDrivers & { memory: boolean; readinessChecks: Array<() => Promise<void>> };

/** What this process does while Redis is away, for the log line that reports the outage. */
function redisOutagePlan(roles: Roles): string {
  const plans = [];
  if (roles.api) plans.push('POST /api/readings answers 503 and /readyz 503 until it returns');
  if (roles.runtime)
    plans.push(
      'shards whose leases cannot be renewed stop consuming before the leases expire, then are re-acquired',
    );
  return `${plans.join('; ')}; reconnecting`;
}

function drivers(config: Config, roles: Roles, log: Logger): Drivers {
  if (config.REDIS_URL) {
    const redis = createRedisDrivers({
      url: config.REDIS_URL,
      prefix: config.EMS_REDIS_PREFIX,
      // Per-attempt connection errors repeat what the connection log below says once.
      onError: (err, context) => {
        if (!isConnectionError(err)) log.warn({ err, context }, 'redis driver error');
      },
      onConnection: ({ connection, state, downMs }) => {
        if (state === 'lost') log.error({ connection }, `Redis connection lost: ${redisOutagePlan(roles)}`);
        else log.warn({ connection, downMs }, 'Redis connection restored');
      },
    });
    // /readyz answers 503 while Redis does not answer: readings could not be accepted durably.
    const pingRedis = async () => {
      await redis.redis.ping();
    };
    return Object.assign(redis, { memory: false, readinessChecks: [pingRedis] });
  }
  const onError = (err: unknown, failure: unknown) =>
    log.warn({ err, failure }, 'shard job failed; retrying');
  return Object.assign(createMemoryDrivers({ onError }), { memory: true, readinessChecks: [] });
}

function listen(server: Server, config: Config): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : config.PORT);
    });
  });
}

/** Stops taking connections at once; resolves when the open ones have ended. */
function closeListener(server: Server): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function startProcess(config: Config, roles: Roles, log: Logger): Promise<Running> {
  const started = performance.now();
  const db = await openConfiguredDatabase(config);
  const applied = await migrate(db.sql);
  if (applied.length > 0) log.info({ applied }, 'migrations applied');
  const rt = drivers(config, roles, log);
  const stops: Array<() => Promise<void>> = [];
  let draining = false;
  const nodeId = config.EMS_NODE_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

  let runtimeNode: RuntimeNode | undefined;
  let processor: ShardProcessor | undefined;
  if (roles.runtime) {
    processor = new ShardProcessor({
      shards: config.EMS_SHARDS,
      // Bounded: a query postgres.js loses in a database restart must not hold a shard for ever.
      store: boundedStore(new PostgresDeviceStore(db.sql)),
      events: rt.events,
      onError: (err, where) => log.warn({ err, where }, 'actor error'),
    });
    runtimeNode = new RuntimeNode({
      nodeId,
      shards: config.EMS_SHARDS,
      drivers: rt,
      handler: processor,
      // The node's own info lines (each shard acquired, …) are debug here; its warnings and errors stay.
      log: {
        info: (data, msg) => log.debug(data, msg),
        warn: (data, msg) => log.warn(data, msg),
        error: (data, msg) => log.error(data, msg),
      },
    });
    // The node logs its own failures (rate-limited during an outage); the listener keeps them from throwing.
    runtimeNode.on('error', () => {});
    const node = runtimeNode;
    // A shard the watchdog found stalled makes this node not ready until it consumes again.
    rt.readinessChecks.push(async () => {
      const { stalledShards } = node.health();
      if (stalledShards.length > 0) throw new Error(`stalled shard consumers: ${stalledShards.join(',')}`);
    });
    runtimeNode.on('acquired', (shard: number, epoch: number) =>
      log.debug({ shard, epoch }, 'shard acquired'),
    );
    runtimeNode.on('lost', (shard: number, reason: unknown) => log.info({ shard, reason }, 'shard lost'));
    await runtimeNode.start();
    const statsTimer = setInterval(
      () =>
        log.debug(
          { ...processor!.totals, ...processor!.committer?.stats, resident: processor!.system.size },
          'runtime stats',
        ),
      5000,
    );
    statsTimer.unref();
    log.info({ nodeId, shards: config.EMS_SHARDS }, 'runtime node started');
  }

  let server: Server | undefined;
  let port: number | undefined;
  let apiDeps: AppDeps | undefined;
  if (roles.api) {
    const secret = jwtSecretFor(config.JWT_SECRET, config.EMS_DATA_DIR);
    const admin = await ensureAdmin(db.sql, config.EMS_ADMIN_USERNAME, config.EMS_ADMIN_PASSWORD);
    if (admin?.generatedPassword) {
      // Printed once, on purpose, outside the JSON log so an operator sees it.
      process.stdout.write(
        `\n  First administrator created: username "${admin.username}", password "${admin.generatedPassword}"\n  (set EMS_ADMIN_PASSWORD to choose it; this is shown only once)\n\n`,
      );
    }
    const deps: AppDeps = {
      sql: db.sql,
      jwt: new JwtService(secret, config.EMS_TOKEN_TTL_HOURS),
      log,
      throttle: new LoginThrottle(),
      producer: rt.producer,
      events: rt.events,
      shards: config.EMS_SHARDS,
      defaultTimeZone: config.EMS_DEFAULT_TIME_ZONE,
      readinessChecks: rt.readinessChecks,
      draining: () => draining,
    };
    apiDeps = deps;
    const realtimeSetup = createRealtimeSetup();
    const { app, metrics } = createApp(deps, {
      mount: [(a) => realtimeSetup.mount(a, deps, config)],
      userHooks: { onDeleted: async (userId) => realtimeSetup.userDeleted(userId) },
      tokenHooks: { onRevoked: (tokenId) => realtimeSetup.tokenRevoked(tokenId) },
    });
    if (runtimeNode) registerRuntimeMetrics(metrics.registry, () => runtimeNode!.health());
    server = createAdaptorServer({ fetch: app.fetch }) as Server;
    const realtime = await realtimeSetup.attach(server, deps, config, rt);
    port = await listen(server, config);
    log.info({ port, host: config.HOST, ms: Math.round(performance.now() - started) }, 'api listening');
    const api = server;
    stops.push(async () => {
      const closed = closeListener(api);
      // A transport close, not a Socket.IO DISCONNECT: clients reconnect on their own, through the
      // load balancer, to a node that is still up (the listener no longer accepts them here).
      realtime.io.engine.close();
      await realtime.close();
      await closed;
    });
  } else if (roles.ops) {
    const opsDeps = { sql: db.sql, log, readinessChecks: rt.readinessChecks, draining: () => draining };
    // opsRoutes reads only these four fields of the api's dependencies.
    const metrics = createMetrics();
    if (runtimeNode) registerRuntimeMetrics(metrics.registry, () => runtimeNode!.health());
    const ops = new Hono().route('/', opsRoutes(opsDeps as unknown as AppDeps, metrics));
    server = createAdaptorServer({ fetch: ops.fetch }) as Server;
    port = await listen(server, config);
    log.info({ port, host: config.HOST }, 'ops endpoints listening (/healthz, /readyz, /metrics)');
    const opsServer = server;
    stops.push(() => closeListener(opsServer));
  }

  return {
    server,
    port,
    deps: apiDeps,
    async stop() {
      draining = true;
      const runtimeStopped = performance.now();
      if (runtimeNode) {
        await runtimeNode.stop();
        log.info({ ms: Math.round(performance.now() - runtimeStopped) }, 'runtime node drained');
      }
      await processor?.close();
      for (const stop of stops) await stop().catch((err) => log.warn({ err }, 'stop failed'));
      await rt.close().catch((err) => log.warn({ err }, 'closing drivers failed'));
      await db.close();
    },
  };
}
