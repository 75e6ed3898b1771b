/**
 * Publishes events to Socket.IO rooms from processes that are not Socket.IO
 * servers (runtime nodes), through @socket.io/redis-emitter: every api node's
 * @socket.io/redis-adapter (configured with the same `key`) delivers them to
 * its sockets in those rooms.
 */
import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import type { ErrorReporter, EventPublisher } from '../types.ts';
import type { RedisClient } from './connect.ts';

export class RedisEventPublisher implements EventPublisher {
  readonly #emitter: Emitter;
  /** The PUBLISH of the event being emitted (the emitter does not return it). */
  #sent: Promise<unknown> = Promise.resolve();

  /**
   * `key` must equal the adapter's `key` option (see RedisKeys.socketIo). The
   * emitter does not await its PUBLISH; with Redis away that promise would
   * reject unhandled and end the process, so the emitter is handed a client
   * whose `publish` is kept here, reported and turned into `false`.
   */
  constructor(redis: RedisClient, key: string, onError: ErrorReporter = () => {}) {
    const client = {
      publish: (channel: string, message: string | Buffer) => {
        this.#sent = redis.publish(channel, message).catch((error: unknown) => {
          onError(error, { where: 'socket event publish' });
          throw error;
        });
        this.#sent.catch(() => {}); // handled: emit() answers false
        return this.#sent;
      },
    };
    this.#emitter = new Emitter(client as unknown as Redis, { key });
  }

  emit(rooms: string[], event: string, payload: unknown): Promise<boolean> {
    if (rooms.length === 0) return Promise.resolve(false); // an empty room list would broadcast to everyone
    this.#emitter.to(rooms).emit(event, payload);
    return this.#sent.then(
      () => true,
      () => false,
    );
  }
}
