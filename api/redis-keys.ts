/**
 * Every Redis key the api nodes use, beside the runtime's (runtime/redis/keys.ts),
 * built from the same prefix so one SCAN pattern finds a deployment's keys:
 *
 *   <prefix>:socket.io*          Socket.IO  adapter channels (shared with the runtime's emitter)
 *   <prefix>:chat:rate:<userId>  string     chat send-limit counter of one user, expires with its window
 *   <prefix>:devices:deleted     pub/sub    ids of deleted devices (every api node drops them from its cache)
 *   <prefix>:access:changed      pub/sub    ended sessions, revoked tokens, changed users (every api node
 *                                           drops them from its principal cache, auth/access-changes.ts)
 *   <prefix>:{login}:<window>    string     failed-login windows (ua:<user>\0<address>, u:<user>, a:<address>)
 *
 * Redis Cluster: the login reservation script touches three windows at once, so
 * they share the hash tag `{login}` (one slot; sign-ins are few). Every other key
 * here is used alone, and PUBLISH reaches subscribers on any node.
 */
import { DEFAULT_PREFIX, redisKeys } from '../runtime/redis/keys.ts';

export interface ApiRedisKeys {
  /** The `key` option of @socket.io/redis-adapter (the runtime's emitter publishes there). */
  readonly socketIo: string;
  /** Prefix of the per-user chat send-limit counters (the limiter appends the user id). */
  readonly chatRate: string;
  /** Pub/sub channel announcing deleted devices to every api node. */
  readonly devicesDeleted: string;
  /** Pub/sub channel announcing access changes (sessions, tokens, users) to every api node. */
  readonly accessChanged: string;
  /** Prefix of the failed-login windows (auth/throttle.ts appends the window's name). */
  readonly loginWindows: string;
}

export function apiRedisKeys(prefix: string = DEFAULT_PREFIX): ApiRedisKeys {
  return {
    socketIo: redisKeys(prefix).socketIo,
    chatRate: `${prefix}:chat:rate:`,
    devicesDeleted: `${prefix}:devices:deleted`,
    accessChanged: `${prefix}:access:changed`,
    loginWindows: `${prefix}:{login}:`,
  };
}
