/**
 * The api role of a process (`ems api`, `ems start`): the first administrator,
 * the REST app, the Socket.IO gateway and the assistant, listening on PORT.
 * cli/processes.ts loads this module only when the process serves the api, so
 * a runtime node never loads api/ code (checked by .dependency-cruiser.cjs).
 */
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { createApp } from '../api/app.ts';
import { JwtService } from '../api/auth/jwt.ts';
import { LoginThrottle } from '../api/auth/throttle.ts';
import type { AppDeps } from '../api/context.ts';
import { adminSocketsOf, FleetLive } from '../api/fleet/live.ts';
import { fleetSummary } from '../api/fleet/repo.ts';
import { RedisDeviceInvalidations } from '../api/readings/device-invalidations.ts';
import { createRealtimeSetup } from '../api/realtime/setup.ts';
import { apiRedisKeys } from '../api/redis-keys.ts';
import type { Database } from '../db/connect.ts';
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
  const deps: AppDeps = {
    deviceInvalidations,
    sql: db.sql,
    jwt: new JwtService(secret, config.EMS_TOKEN_TTL_HOURS),
    log,
    throttle: new LoginThrottle(),
    producer: drivers.producer,
    events: drivers.events,
    shards: config.EMS_SHARDS,
    defaultTimeZone: config.EMS_DEFAULT_TIME_ZONE,
    readinessChecks: drivers.readinessChecks,
    draining,
  };
  const realtimeSetup = createRealtimeSetup();
  const { app } = createApp(deps, {
    mount: [(a) => realtimeSetup.mount(a, deps, config)],
    userHooks: { onDeleted: async (userId) => realtimeSetup.userDeleted(userId) },
    tokenHooks: { onRevoked: (tokenId) => realtimeSetup.tokenRevoked(tokenId) },
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const realtime = await realtimeSetup.attach(server, deps, config, { memoryEvents: drivers.memoryEvents });
  // The admin overview stays live: at most one summary a second, only when it changed.
  const fleetLive = new FleetLive({
    admins: adminSocketsOf(realtime.io),
    summary: () => fleetSummary(db.sql),
    onError: (err) => log.warn({ err }, 'fleet summary not sent; retrying every second'),
  }).start();
  const port = await listen(server, config);
  log.info({ port, host: config.HOST, ms: Math.round(performance.now() - started) }, 'api listening');
  return {
    server,
    port,
    deps,
    async stop() {
      const closed = closeListener(server);
      // A transport close, not a Socket.IO DISCONNECT: clients reconnect on their own, through the
      // load balancer, to a node that is still up (the listener no longer accepts them here).
      fleetLive.stop();
      realtime.io.engine.close();
      await realtime.close();
      await closed;
      await deviceInvalidations?.close();
    },
  };
}
