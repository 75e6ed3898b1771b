/**
 * The Redis runtime drivers for the distributed mode. One drivers object per
 * process holds two connections: `commands` for leases, membership, the
 * Socket.IO emitter and every queue producer (lean: the api adds ~64 bulks
 * per request), and `workers`, shared by the BullMQ workers (each of which
 * opens its own blocking connection as BullMQ requires).
 */
import type { ErrorReporter, RuntimeDrivers } from '../types.ts';
import { connectRedis, type RedisClient } from './connect.ts';
import { type ConnectionChange, watchConnection } from './connection-watch.ts';
import { RedisEventPublisher } from './events.ts';
import { DEFAULT_PREFIX, type RedisKeys, redisKeys } from './keys.ts';
import { RedisLeaseStore } from './leases.ts';
import { RedisMembership } from './membership.ts';
import { defineRuntimeScripts } from './scripts.ts';
import { type RedisQueueOptions, RedisShardConsumers, RedisShardProducer } from './shard-queues.ts';

export {
  connectRedis,
  duplicateConnection,
  isCluster,
  isClusterTarget,
  parseRedisTarget,
  type RedisClient,
  type RedisTarget,
} from './connect.ts';
export { type ConnectionChange, isConnectionError, watchConnection } from './connection-watch.ts';
export { RedisEventPublisher } from './events.ts';
export { DEFAULT_PREFIX, type RedisKeys, redisKeys } from './keys.ts';
export { RedisLeaseStore } from './leases.ts';
export { RedisMembership } from './membership.ts';
export { type RedisQueueOptions, RedisShardConsumers, RedisShardProducer } from './shard-queues.ts';

export interface RedisDriversOptions {
  /** redis://… connection string; several, comma-separated, name a Redis Cluster (see connect.ts). */
  url: string;
  /** A single `url` is a Redis Cluster's seed node. Default false. */
  cluster?: boolean | undefined;
  /** Prefix of every key (see keys.ts). Default 'ems'. */
  prefix?: string;
  /** Name of the shard queues: `<queueName>-<shard>` (see keys.ts). Default 'shard'. */
  queueName?: string | undefined;
  queue?: RedisQueueOptions;
  /** Background failures: connection errors, worker errors, handler failures (which are retried). */
  onError?: ErrorReporter;
  /** A connection was lost or came back (see connection-watch.ts). */
  onConnection?: (change: ConnectionChange) => void;
  /**
   * Longest a command on the commands connection (queue adds, lease and
   * membership scripts, emitter publishes) waits for its answer, offline
   * queue included, before it fails. Default 2000.
   */
  commandTimeoutMs?: number;
}

export interface RedisDrivers extends RuntimeDrivers {
  keys: RedisKeys;
  /** The shared command connection, for health checks. */
  redis: RedisClient;
}

/** Reconnect attempts back off to 500 ms, not ioredis's 2 s: service resumes within half a second of Redis. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 50, 500);

export function createRedisDrivers(options: RedisDriversOptions): RedisDrivers {
  const keys = redisKeys(options.prefix ?? DEFAULT_PREFIX, options.queueName);
  const onError = options.onError ?? (() => {});
  const target = { url: options.url, cluster: options.cluster };
  // Bounded: a request that adds readings, or a lease renew, fails within commandTimeoutMs when
  // Redis is away (the api answers 503, the node's lease deadline takes over) instead of waiting
  // in ioredis's offline queue for as long as the outage lasts. The offline queue stays on so a
  // reconnect shorter than the timeout costs nothing.
  const commands = defineRuntimeScripts(
    connectRedis(target, {
      connectionName: `${keys.prefix}-commands`,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: reconnectDelay,
    }),
  );
  // BullMQ workers need maxRetriesPerRequest: null (their commands wait out a reconnect instead of failing).
  const workers = connectRedis(target, {
    connectionName: `${keys.prefix}-workers`,
    maxRetriesPerRequest: null,
    retryStrategy: reconnectDelay,
  });
  commands.on('error', (error) => onError(error, { where: 'redis commands connection' }));
  workers.on('error', (error) => onError(error, { where: 'redis workers connection' }));
  if (options.onConnection) {
    watchConnection(commands, 'commands', options.onConnection);
    watchConnection(workers, 'workers', options.onConnection);
  }

  const producer = new RedisShardProducer(commands, keys, onError);
  const consumer = new RedisShardConsumers(workers, keys, options.queue ?? {}, onError);
  let closed: Promise<void> | null = null;
  return {
    keys,
    redis: commands,
    membership: new RedisMembership(commands, keys),
    leases: new RedisLeaseStore(commands, keys),
    producer,
    consumer,
    events: new RedisEventPublisher(commands, keys.socketIo, onError),
    close() {
      closed ??= (async () => {
        await consumer.close();
        await producer.close();
        await Promise.allSettled([commands.quit(), workers.quit()]);
      })();
      return closed;
    },
  };
}
