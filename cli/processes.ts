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
import type { AppDeps } from '../api/context.ts';
import { type Database, openDatabase } from '../db/connect.ts';
import { PostgresDeviceStore } from '../db/device-store.ts';
import { migrate } from '../db/migrate.ts';
import { ReadingsMaintenance } from '../db/readings-partitions.ts';
import {
  createMetrics,
  type Metrics,
  registerRuntimeMetrics,
  registerWatchdogMetrics,
} from '../ops/metrics.ts';
import { opsRoutes } from '../ops/probes.ts';
import { RuntimeNode } from '../runtime/node.ts';
import { boundedStore } from './bounded-store.ts';
import type { Config } from './config.ts';
import { drivers } from './drivers.ts';
import { closeListener, listen } from './listen.ts';
import type { Logger } from './logger.ts';
import type { Roles } from './roles.ts';

export interface Running {
  /** The HTTP server, when this process serves the api. */
  server?: Server;
  port?: number;
  /** The api's dependencies, when this process serves the api. */
  deps?: AppDeps;
  /** Stops gracefully: stop taking work, finish in-flight, release shards, close connections. */
  stop(): Promise<void>;
}

export type { Roles } from './roles.ts';

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
      onError: (err, context) => log.warn({ err, ...context }, 'runtime failure'),
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
    // The months of raw readings ahead, and retention (EMS_RAW_RETENTION_DAYS): the writers' job.
    const maintenance = new ReadingsMaintenance({
      sql: db.sql,
      retentionDays: config.EMS_RAW_RETENTION_DAYS,
      onError: (err) => log.warn({ err }, 'readings partition maintenance failed; retrying in an hour'),
      onChange: (r) => log.info(r, 'readings partitions maintained'),
    });
    maintenance.start();
    stops.push(() => maintenance.stop());
    log.info({ nodeId, shards: config.EMS_SHARDS }, 'runtime node started');
  }

  let server: Server | undefined;
  let port: number | undefined;
  let apiDeps: AppDeps | undefined;
  let metrics: Metrics | undefined;
  if (roles.api) {
    // Loaded only by processes that serve the api: `ems runtime` loads no api/ module.
    const { startApiRole } = await import('./api-role.ts');
    const api = await startApiRole({ config, db, drivers: rt, log, draining: () => draining, started });
    ({ server, port, deps: apiDeps } = api);
    stops.push(api.stop);
    metrics = api.metrics;
  } else if (roles.ops) {
    const opsDeps = {
      sql: db.sql,
      log,
      readinessChecks: rt.readinessChecks,
      draining: () => draining,
      metricsToken: config.EMS_METRICS_TOKEN,
    };
    metrics = createMetrics();
    const ops = new Hono().route('/', opsRoutes(opsDeps, metrics));
    server = createAdaptorServer({ fetch: ops.fetch }) as Server;
    port = await listen(server, config);
    log.info({ port, host: config.HOST }, 'ops endpoints listening (/healthz, /readyz, /metrics)');
    const opsServer = server;
    stops.push(() => closeListener(opsServer));
  }

  // The runtime's counters, read from the processor at scrape time (docs/OPERATIONS.md).
  if (processor && metrics) registerRuntimeMetrics(metrics.registry, () => processor!.totals);
  if (runtimeNode && metrics) registerWatchdogMetrics(metrics.registry, () => runtimeNode!.health());

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
