/**
 * Every Redis key the runtime uses, built from one configurable prefix
 * (default 'ems') so that several deployments, or every test file, can share a
 * Redis without colliding, and so that a cleanup can find them all.
 *
 *   <prefix>:runtime:nodes            sorted set  nodeId → heartbeat expiry (ms, Redis clock)
 *   <prefix>:runtime:lease:<shard>    hash        {holder, epoch}, PEXPIREs with the lease
 *   <prefix>:runtime:epoch:<shard>    string      fencing counter, INCR'd per grant, never expires
 *   <prefix>:<queue>-<shard>:*        BullMQ      the shard queue (BullMQ `prefix` = our prefix, queue
 *                                                 name `<queue>-<shard>`: BullMQ forbids ':'); `queue`
 *                                                 is a driver option, default `shard` (EMS uses `readings`)
 *   <prefix>:socket.io*               Socket.IO   emitter/adapter channels (api nodes must use
 *                                                 the same key for @socket.io/redis-adapter)
 */

export const DEFAULT_PREFIX = 'ems';
export const DEFAULT_QUEUE = 'shard';

export interface RedisKeys {
  readonly prefix: string;
  readonly nodes: string;
  lease(shard: number): string;
  epoch(shard: number): string;
  /** BullMQ queue name of a shard; its keys live under `bullPrefix`. */
  queueName(shard: number): string;
  readonly bullPrefix: string;
  /** The `key` option of @socket.io/redis-emitter and @socket.io/redis-adapter. */
  readonly socketIo: string;
  /** SCAN pattern matching every key above. */
  readonly everything: string;
}

export function redisKeys(prefix: string = DEFAULT_PREFIX, queue: string = DEFAULT_QUEUE): RedisKeys {
  if (!prefix || prefix.includes('*')) throw new Error(`invalid Redis key prefix "${prefix}"`);
  if (!/^[\w-]+$/.test(queue)) throw new Error(`invalid shard queue name "${queue}"`);
  return {
    prefix,
    nodes: `${prefix}:runtime:nodes`,
    lease: (shard) => `${prefix}:runtime:lease:${shard}`,
    epoch: (shard) => `${prefix}:runtime:epoch:${shard}`,
    queueName: (shard) => `${queue}-${shard}`,
    bullPrefix: prefix,
    socketIo: `${prefix}:socket.io`,
    everything: `${prefix}:*`,
  };
}
