/**
 * The Redis runtime drivers for the distributed mode. One drivers object per
 * process holds two connections: `commands` for leases, membership, the
 * Socket.IO emitter and every queue producer (lean: the api adds ~64 bulks
 * per request), and `workers`, shared by the BullMQ workers (each of which
 * opens its own blocking connection as BullMQ requires).
 */
import { Redis } from 'ioredis';
import type { RuntimeDrivers } from '../types.ts';
import { RedisEventPublisher } from './events.ts';
import { DEFAULT_PREFIX, type RedisKeys, redisKeys } from './keys.ts';
import { RedisLeaseStore } from './leases.ts';
import { RedisMembership } from './membership.ts';
import { defineRuntimeScripts } from './scripts.ts';
import { type RedisQueueOptions, RedisShardConsumers, RedisShardProducer } from './shard-queues.ts';

export { RedisEventPublisher } from './events.ts';
export { DEFAULT_PREFIX, type RedisKeys, redisKeys } from './keys.ts';
export { RedisLeaseStore } from './leases.ts';
export { RedisMembership } from './membership.ts';
export { type RedisQueueOptions, RedisShardConsumers, RedisShardProducer } from './shard-queues.ts';

export interface RedisDriversOptions {
  /** redis://… connection string. */
  url: string;
  /** Prefix of every key (see keys.ts). Default 'ems'. */
  prefix?: string;
  /** Name of the shard queues: `<queueName>-<shard>` (see keys.ts). Default 'shard'. */
  queueName?: string | undefined;
  queue?: RedisQueueOptions;
  /** Background failures: connection errors, worker errors, handler failures (which are retried). */
  onError?: (error: unknown, context: string) => void;
}

export interface RedisDrivers extends RuntimeDrivers {
  keys: RedisKeys;
  /** The shared command connection, for health checks. */
  redis: Redis;
}

export function createRedisDrivers(options: RedisDriversOptions): RedisDrivers {
  const keys = redisKeys(options.prefix ?? DEFAULT_PREFIX, options.queueName);
  const onError = options.onError ?? (() => {});
  const commands = defineRuntimeScripts(
    new Redis(options.url, { connectionName: `${keys.prefix}-commands` }),
  );
  // BullMQ workers need maxRetriesPerRequest: null (their commands wait out a reconnect instead of failing).
  const workers = new Redis(options.url, {
    connectionName: `${keys.prefix}-workers`,
    maxRetriesPerRequest: null,
  });
  commands.on('error', (error) => onError(error, 'redis commands connection'));
  workers.on('error', (error) => onError(error, 'redis workers connection'));

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
    events: new RedisEventPublisher(commands, keys.socketIo),
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
