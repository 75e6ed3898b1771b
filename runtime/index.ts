/**
 * The public surface of the actor runtime. Applications build on the actor
 * system, run a RuntimeNode per process over a set of drivers (in-memory for
 * one process, Redis for a cluster), and use the placement functions to route
 * work to shards. Import `runtime/memory/index.ts` or `runtime/redis/index.ts`
 * directly to pull in only one driver family.
 */

export { type Actor, ActorSystem, type ActorSystemOptions } from './actor-system.ts';
export { DEFAULT_RETRY_BACKOFF, type RetryBackoff, retryDelayMs } from './backoff.ts';
export {
  createMemoryDrivers,
  type EventListener,
  type MemoryDrivers,
  type MemoryDriversOptions,
  MemoryEventPublisher,
} from './memory/index.ts';
export {
  DEFAULT_LEASE_TIMINGS,
  type RuntimeLogger,
  RuntimeNode,
  type RuntimeNodeEvents,
  type RuntimeNodeOptions,
  type ShardLossReason,
} from './node.ts';
export { desiredShards, rendezvousOwner, shardOf, stableHash } from './placement.ts';
export {
  createRedisDrivers,
  DEFAULT_PREFIX,
  type RedisDrivers,
  type RedisDriversOptions,
  type RedisKeys,
  type RedisQueueOptions,
  redisKeys,
} from './redis/index.ts';
export type {
  EventPublisher,
  LeaseGrant,
  LeaseStore,
  LeaseTimings,
  Membership,
  RuntimeDrivers,
  ShardConsumer,
  ShardHandler,
  ShardJob,
  ShardJobHandler,
  ShardQueueConsumer,
  ShardQueueProducer,
} from './types.ts';
