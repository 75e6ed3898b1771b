/**
 * Publishes events to Socket.IO rooms from processes that are not Socket.IO
 * servers (runtime nodes), through @socket.io/redis-emitter: every api node's
 * @socket.io/redis-adapter (configured with the same `key`) delivers them to
 * its sockets in those rooms.
 */
import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import type { EventPublisher } from '../types.ts';

export class RedisEventPublisher implements EventPublisher {
  readonly #emitter: Emitter;

  /** `key` must equal the adapter's `key` option (see RedisKeys.socketIo). */
  constructor(redis: Redis, key: string) {
    this.#emitter = new Emitter(redis, { key });
  }

  emit(rooms: string[], event: string, payload: unknown): void {
    if (rooms.length === 0) return; // an empty room list would broadcast to everyone
    this.#emitter.to(rooms).emit(event, payload);
  }
}
