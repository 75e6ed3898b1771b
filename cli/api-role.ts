/**
 * The api role of a process (`ems api`, `ems start`): the first administrator,
 * the REST app, the Socket.IO gateway and the assistant, listening on PORT.
 * cli/processes.ts loads this module only when the process serves the api, so
 * a runtime node never loads api/ code (checked by .dependency-cruiser.cjs).
 */
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { createAdaptorServer } from '@hono/node-server';
import { createApp } from '../api/app.ts';
import { RedisAccessChanges } from '../api/auth/access-changes.ts';
import { JwtService } from '../api/auth/jwt.ts';
import { createLoginLimiter } from '../api/auth/throttle.ts';
import type { AppDeps } from '../api/context.ts';
import { adminSocketsOf, FleetLive } from '../api/fleet/live.ts';
import { fleetSummary } from '../api/fleet/repo.ts';
import { MqttIngest } from '../api/mqtt/ingest.ts';
import { Notifier } from '../api/notify/service.ts';
import { RedisDeviceInvalidations } from '../api/readings/device-invalidations.ts';
import { exposeDroppedEvents } from '../api/realtime/gateway.ts';
import { createRealtimeSetup } from '../api/realtime/setup.ts';
import { apiRedisKeys } from '../api/redis-keys.ts';
import type { Database } from '../db/connect.ts';
import type { Metrics } from '../ops/metrics.ts';
import { ensureAdmin, jwtSecretFor } from './bootstrap.ts';
import type { Config } from './config.ts';
import type { Drivers } from './drivers.ts';
import { closeListener, listen } from './listen.ts';
import type { Logger } from './logger.ts';

export interface ApiRoleOptions {
  config: Config;
  db: Database;
  drivers: Drivers;
  log: Logger;
  draining: () => boolean;
  /** performance.now() when the process started (logged with "api listening"). */
  started: number;
}

export interface ApiRole {
  server: Server;
  port: number;
  deps: AppDeps;
  /** The app's /metrics registry (the runtime adds its counters there in `ems start`). */
  metrics: Metrics;
  /** Stops taking connections, sends sockets away (they reconnect elsewhere), closes the gateway. */
  stop(): Promise<void>;
}

export async function startApiRole({
  config,
  db,
  drivers,
  log,
  draining,
  started,
}: ApiRoleOptions): Promise<ApiRole> {
  const secret = jwtSecretFor(config.JWT_SECRET, config.EMS_DATA_DIR);
  const admin = await ensureAdmin(db.sql, config.EMS_ADMIN_USERNAME, config.EMS_ADMIN_PASSWORD);
  if (admin?.promoted) {
    log.warn({ username: admin.username }, 'no administrator was left: promoted EMS_ADMIN_USERNAME to admin');
  } else if (admin) {
    log.info({ username: admin.username }, 'no administrator: created EMS_ADMIN_USERNAME');
  }
  if (admin?.generatedPassword) {
    // Printed once, on purpose, outside the JSON log so an operator sees it.
    process.stdout.write(
      `\n  First administrator created: username "${admin.username}", password "${admin.generatedPassword}"\n  (set EMS_ADMIN_PASSWORD to choose it; this is shown only once)\n\n`,
    );
  }
  // Deleted devices leave every api node's known-devices cache at once (docs/API.md, Readings).
  const deviceInvalidations = drivers.redis
    ? new RedisDeviceInvalidations(drivers.redis, apiRedisKeys(drivers.prefix).devicesDeleted, (err) =>
        log.warn({ err }, 'device invalidations subscriber'),
      )
    : undefined;
  // Ended sessions, revoked tokens and changed users leave every api node's principal cache at once.
  const accessChanges = drivers.redis
    ? new RedisAccessChanges(drivers.redis, apiRedisKeys(drivers.prefix).accessChanged, (err) =>
        log.warn({ err }, 'access changes subscriber'),
      )
    : undefined;
  const login = createLoginLimiter({
    redisUrl: config.REDIS_URL,
    redisCluster: config.EMS_REDIS_CLUSTER,
    prefix: config.EMS_REDIS_PREFIX,
    onError: (err) => log.warn({ err }, 'login throttle: redis unavailable, counting locally'),
  });
  // Copied: the MQTT ingest adds its broker check below, for this api's /readyz only.
  const readinessChecks = [...drivers.readinessChecks];
  const deps: AppDeps = {
    deviceInvalidations,
    accessChanges,
    sql: db.sql,
    jwt: new JwtService(secret, config.EMS_TOKEN_TTL_HOURS),
    log,
    throttle: login.limiter,
    trustedProxies: config.EMS_TRUSTED_PROXIES,
    metricsToken: config.EMS_METRICS_TOKEN,
    producer: drivers.producer,
    events: drivers.events,
    shards: config.EMS_SHARDS,
    defaultTimeZone: config.EMS_DEFAULT_TIME_ZONE,
    rawRetentionDays: config.EMS_RAW_RETENTION_DAYS,
    readinessChecks,
    draining,
    webhooks: { allowPrivate: config.EMS_WEBHOOK_ALLOW_PRIVATE, wake: () => notifier.webhooks.wake() },
  };
  // Webhooks and alert e-mail from the alert outbox, on every api node (they share it by claims).
  const notifier = new Notifier({
    sql: db.sql,
    log,
    allowPrivate: config.EMS_WEBHOOK_ALLOW_PRIVATE,
    smtp: config.EMS_SMTP_URL
      ? {
          url: config.EMS_SMTP_URL,
          from: config.EMS_MAIL_FROM,
          publicUrl: config.EMS_PUBLIC_URL ?? `http://localhost:${config.PORT}`,
        }
      : undefined,
  });
  const realtimeSetup = createRealtimeSetup();
  const { app, metrics } = createApp(deps, {
    mount: [(a) => realtimeSetup.mount(a, deps, config)],
    userHooks: { onDeleted: async (userId) => realtimeSetup.userDeleted(userId) },
    tokenHooks: { onRevoked: (tokenId) => realtimeSetup.tokenRevoked(tokenId) },
    sessionHooks: { endSockets: (rooms) => realtimeSetup.endSockets(rooms) },
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const realtime = await realtimeSetup.attach(server, deps, config, { memoryEvents: drivers.memoryEvents });
  exposeDroppedEvents(metrics.registry, realtime);
  const mqtt = config.EMS_MQTT_URL ? await startMqttIngest(config, deps, metrics.registry) : undefined;
  if (mqtt) readinessChecks.push(mqtt.check);
  // The admin overview stays live: at most one summary a second, only when it changed.
  const fleetLive = new FleetLive({
    admins: adminSocketsOf(realtime.io),
    summary: () => fleetSummary(db.sql),
    onError: (err) => log.warn({ err }, 'fleet summary not sent; retrying every second'),
  }).start();
  notifier.start();
  const port = await listen(server, config);
  log.info({ port, host: config.HOST, ms: Math.round(performance.now() - started) }, 'api listening');
  return {
    server,
    port,
    deps,
    metrics,
    async stop() {
      await mqtt?.stop().catch((err) => log.warn({ err }, 'mqtt: stop failed'));
      await notifier.stop().catch((err) => log.warn({ err }, 'notify: stop failed'));
      const closed = closeListener(server);
      // A transport close, not a Socket.IO DISCONNECT: clients reconnect on their own, through the
      // load balancer, to a node that is still up (the listener no longer accepts them here).
      fleetLive.stop();
      realtime.io.engine.close();
      await realtime.close();
      await closed;
      await deviceInvalidations?.close();
      await accessChanges?.close();
      await login.close();
    },
  };
}

async function startMqttIngest(
  config: Config,
  deps: AppDeps,
  registry: ReturnType<typeof createApp>['metrics']['registry'],
): Promise<MqttIngest> {
  // The broker keeps a node's unacknowledged messages in the session of this id: a node that
  // restarts under the same id gets them back, so the id must be stable and unique per node.
  const clientId =
    config.EMS_MQTT_CLIENT_ID ?? `${config.EMS_REDIS_PREFIX}-${config.EMS_NODE_ID ?? hostname()}`;
  if (!config.EMS_MQTT_CLIENT_ID && !config.EMS_NODE_ID) {
    deps.log.warn({ clientId }, 'mqtt: EMS_NODE_ID is unset; the client id comes from the host name');
  }
  const ingest = new MqttIngest({
    url: config.EMS_MQTT_URL!,
    clientId,
    producer: deps.producer,
    sql: deps.sql,
    shards: deps.shards,
    log: deps.log,
    registry,
    topicPrefix: config.EMS_MQTT_TOPIC_PREFIX ?? '',
    connections: config.EMS_MQTT_CONNECTIONS,
    rawRetentionDays: config.EMS_RAW_RETENTION_DAYS,
  });
  await ingest.start();
  deps.log.info({ clientId, connections: config.EMS_MQTT_CONNECTIONS }, 'mqtt ingest started');
  return ingest;
}
