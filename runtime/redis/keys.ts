/**
 * Every Redis key the runtime uses, built from one configurable prefix
 * (default 'ems') so that several deployments, or every test file, can share a
 * Redis without colliding, and so that a cleanup can find them all.
 *
 *   <prefix>:runtime:nodes                  sorted set  nodeId → heartbeat expiry (ms, Redis clock)
 *   <prefix>:runtime:lease:{s<shard>}       hash        {holder, epoch}, PEXPIREs with the lease
 *   <prefix>:runtime:epoch:{s<shard>}       string      fencing counter, INCR'd per grant, never expires
 *   <prefix>:{s<shard>}:<queue>-<shard>:*   BullMQ      the shard queue: BullMQ `prefix` `<prefix>:{s<shard>}`,
 *                                                       queue name `<queue>-<shard>` (BullMQ forbids ':');
 *                                                       `queue` is a driver option, default `shard` (EMS: `readings`)
 *   <prefix>:socket.io*                     Socket.IO   emitter/adapter channels (api nodes must use
 *                                                       the same key for @socket.io/redis-adapter)
 *
 * Redis Cluster: `{s<shard>}` is a hash tag, so every key of one shard (its
 * queue, lease and epoch) lives in one slot, as BullMQ's and our Lua scripts
 * require, while different shards spread over the slots, hence over the
 * masters. The nodes set is a key of its own (its scripts touch only it).
 * The tag comes after the prefix, so `<prefix>:*` still finds every key.
 */

export const DEFAULT_PREFIX = 'ems';
export const DEFAULT_QUEUE = 'shard';

export interface RedisKeys {
  readonly prefix: string;
  readonly nodes: string;
  lease(shard: number): string;
  epoch(shard: number): string;
  /** The hash tag every key of a shard carries (`{s<shard>}`). */
  shardTag(shard: number): string;
  /** BullMQ queue name of a shard; its keys live under `bullPrefix(shard)`. */
  queueName(shard: number): string;
  /** BullMQ `prefix` option of a shard's queue: `<prefix>:{s<shard>}`. */
  bullPrefix(shard: number): string;
  /** The `key` option of @socket.io/redis-emitter and @socket.io/redis-adapter. */
  readonly socketIo: string;
  /** SCAN pattern matching every key above. */
  readonly everything: string;
}

export function redisKeys(prefix: string = DEFAULT_PREFIX, queue: string = DEFAULT_QUEUE): RedisKeys {
  // Braces would put a hash tag of their own before the shard's.
  if (!prefix || /[*{}]/.test(prefix)) throw new Error(`invalid Redis key prefix "${prefix}"`);
  if (!/^[\w-]+$/.test(queue)) throw new Error(`invalid shard queue name "${queue}"`);
  const shardTag = (shard: number) => `{s${shard}}`;
  return {
    prefix,
    nodes: `${prefix}:runtime:nodes`,
    lease: (shard) => `${prefix}:runtime:lease:${shardTag(shard)}`,
    epoch: (shard) => `${prefix}:runtime:epoch:${shardTag(shard)}`,
    shardTag,
    queueName: (shard) => `${queue}-${shard}`,
    bullPrefix: (shard) => `${prefix}:${shardTag(shard)}`,
    socketIo: `${prefix}:socket.io`,
    everything: `${prefix}:*`,
  };
}
