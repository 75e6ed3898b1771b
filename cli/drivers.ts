/**
 * The runtime drivers a process uses, chosen by configuration: Redis (shard
 * queues, leases, membership, the Socket.IO emitter) when REDIS_URL is set,
 * otherwise the in-memory drivers of the single-process mode.
 */

import { SHARD_QUEUE_NAME } from '../actors/messages.ts';
import { createMemoryDrivers } from '../runtime/memory/index.ts';
import { createRedisDrivers, isConnectionError, type RedisClient } from '../runtime/redis/index.ts';
import type { ErrorReporter, EventSource, RuntimeDrivers } from '../runtime/types.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Roles } from './roles.ts';

export type Drivers = RuntimeDrivers & {
  /** Single-process mode: where the in-process events can be heard (the gateway forwards them). */
  memoryEvents?: EventSource;
  readinessChecks: Array<() => Promise<void>>;
  /** Distributed mode: the shared command connection and the key prefix (api nodes' pub/sub). */
  redis?: RedisClient;
  prefix?: string;
};

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

export function drivers(config: Config, roles: Roles, log: Logger): Drivers {
  if (config.REDIS_URL) {
    const redis = createRedisDrivers({
      url: config.REDIS_URL,
      cluster: config.EMS_REDIS_CLUSTER,
      prefix: config.EMS_REDIS_PREFIX,
      queueName: SHARD_QUEUE_NAME,
      // Per-attempt connection errors repeat what the connection log below says once.
      onError: (err, context) => {
        if (context.where === 'poison job')
          log.error({ err, ...context }, 'shard job set aside as poison (see: ems jobs poisoned)');
        else if (!isConnectionError(err)) log.warn({ err, ...context }, 'redis driver error');
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
    return Object.assign(redis, { readinessChecks: [pingRedis], prefix: redis.keys.prefix });
  }
  const onError: ErrorReporter = (err, context) => {
    if (context.where === 'poison job') log.error({ err, ...context }, 'shard job set aside as poison');
    else log.warn({ err, ...context }, 'shard job failed; retrying');
  };
  const memory = createMemoryDrivers({ onError });
  return Object.assign(memory, { memoryEvents: memory.events, readinessChecks: [] });
}
