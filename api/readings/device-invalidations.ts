/**
 * "This device is gone" between api nodes. After DELETE /api/devices/:id every
 * api node must refuse the device's readings with 422 within 2 seconds
 * (API.md), so the known-devices cache is invalidated by a message rather
 * than left to expire: in process for a single process, over Redis pub/sub
 * when Redis is configured (every api node subscribes).
 */
import { type Bus, Listeners } from '../../core/bus.ts';
import { duplicateConnection, type RedisClient, subscribeTo } from '../../runtime/redis/connect.ts';

export type InvalidationListener = (deviceId: string) => void;

/** `publish(deviceId)` tells every api node (this one included) that the device no longer exists. */
export type DeviceInvalidations = Bus<string, InvalidationListener>;

/** One process: listeners are called at once. */
export class LocalDeviceInvalidations implements DeviceInvalidations {
  readonly #listeners = new Listeners<InvalidationListener>();

  async publish(deviceId: string): Promise<void> {
    this.#listeners.each((listener) => listener(deviceId));
  }

  subscribe(listener: InvalidationListener): () => void {
    return this.#listeners.add(listener);
  }
}

/** Shared by the routes of apps built without explicit invalidations (single process, tests). */
export const processDeviceInvalidations = new LocalDeviceInvalidations();

/**
 * Redis pub/sub on `channel`. Publishing uses the given connection; subscribing
 * needs a connection of its own (a subscribed connection takes no other command).
 */
export class RedisDeviceInvalidations implements DeviceInvalidations {
  readonly #redis: RedisClient;
  readonly #sub: RedisClient;
  readonly #channel: string;
  readonly #local = new LocalDeviceInvalidations();
  readonly #ready: Promise<unknown>;

  constructor(redis: RedisClient, channel: string, onError: (error: unknown) => void = () => {}) {
    this.#redis = redis;
    this.#channel = channel;
    this.#sub = duplicateConnection(redis);
    this.#sub.on('error', onError);
    this.#sub.on('message', (ch: string, message: string) => {
      if (ch === this.#channel) void this.#local.publish(message);
    });
    this.#ready = subscribeTo(this.#sub, channel).catch(onError);
  }

  /** Resolves once the subscription is in place. */
  ready(): Promise<unknown> {
    return this.#ready;
  }

  async publish(deviceId: string): Promise<void> {
    // Also locally at once: this node must not wait for the round trip.
    await this.#local.publish(deviceId);
    await this.#redis.publish(this.#channel, deviceId);
  }

  subscribe(listener: InvalidationListener): () => void {
    return this.#local.subscribe(listener);
  }

  async close(): Promise<void> {
    await this.#sub.quit().catch(() => this.#sub.disconnect());
  }
}
