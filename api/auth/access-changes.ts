/**
 * "Access changed" between api nodes: a session ended, a token was revoked, a
 * user was demoted, edited or deleted, a device (and so its ingest tokens) is
 * gone, or was created or edited. Every api node drops the principals it
 * cached for them (principal-cache.ts), so invariant 9 holds with the cache in
 * place, and its cached device lists (devices/list-cache.ts): the next request
 * on any node reads the database again. Announced after COMMIT (a
 * node that re-read before it would cache the old rows again).
 *
 * In process for a single process; over Redis pub/sub (`<prefix>:access:changed`)
 * when Redis is configured. Listeners also hear whether changes can currently
 * reach them: while the Redis subscription is down, a node cannot know what it
 * missed, so its cache stays off until the subscription is back.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type Bus, Listeners } from '../../core/bus.ts';
import {
  duplicateConnection,
  isCluster,
  type RedisClient,
  subscribeTo,
} from '../../runtime/redis/connect.ts';
import { withDeadline } from '../errors.ts';

/** What changed, by id. A principal matching any id is dropped. */
export interface AccessChange {
  /** Every credential of these users (role change, profile edit, password, deletion, sign out everywhere). */
  users?: string[];
  /** These login sessions (sign out). */
  sessions?: string[];
  /** These personal access tokens or device ingest tokens (revoked). */
  tokens?: string[];
  /** The ingest tokens of these devices (device deleted). */
  devices?: string[];
  /** These devices were created or edited (cached device lists are read again). */
  deviceRows?: string[];
  /** Anything may have changed (an unreadable message): drop every principal. */
  all?: boolean;
}

export interface AccessChangeListener {
  change(change: AccessChange): void;
  /** Whether changes made on other nodes reach this one; called at once on subscribe, then on every flip. */
  delivering?(up: boolean): void;
}

export type AccessChanges = Bus<AccessChange, AccessChangeListener>;

/** One process: listeners are called at once and always delivering. */
export class LocalAccessChanges implements AccessChanges {
  readonly #listeners = new Listeners<AccessChangeListener>();
  #up: boolean;

  constructor(up = true) {
    this.#up = up;
  }

  async publish(change: AccessChange): Promise<void> {
    this.#listeners.each((listener) => listener.change(change));
  }

  subscribe(listener: AccessChangeListener): () => void {
    const unsubscribe = this.#listeners.add(listener);
    listener.delivering?.(this.#up);
    return unsubscribe;
  }

  /** Tells listeners whether changes reach them (the Redis subscription's state). */
  setDelivering(up: boolean): void {
    if (up === this.#up) return;
    this.#up = up;
    this.#listeners.each((listener) => listener.delivering?.(up));
  }
}

/** Shared by apps built without an explicit bus (single process, tests). */
export const processAccessChanges = new LocalAccessChanges();

/** A message off the wire; anything unreadable counts as "everything changed" rather than a guess. */
function parseMessage(message: string): { id?: string; change: AccessChange } {
  try {
    const value = JSON.parse(message) as Record<string, unknown>;
    const ids = (k: string) => {
      const v = value[k];
      if (v === undefined) return [];
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(k);
      return v as string[];
    };
    const change = {
      users: ids('users'),
      sessions: ids('sessions'),
      tokens: ids('tokens'),
      devices: ids('devices'),
      deviceRows: ids('deviceRows'),
      all: value.all === true,
    };
    return { id: typeof value.id === 'string' ? value.id : undefined, change };
  } catch {
    return { change: { all: true } };
  }
}

/**
 * Redis pub/sub on `channel`, acknowledged. `publish` resolves once every node
 * that received the message (PUBLISH's count, this node included) has dropped
 * what it names and said so on `<channel>:ack`, or after `ackTimeoutMs`: so
 * when the api answers the request that made the change, the other nodes
 * already refuse the credential — a client cannot race the message to them.
 * The subscription is "delivering" from its SUBSCRIBE reply until that
 * connection closes, and again after the re-subscription that follows a
 * reconnect. Subscribing needs a connection of its own; acks and publishes
 * use the given one.
 */
export class RedisAccessChanges implements AccessChanges {
  readonly #redis: RedisClient;
  readonly #sub: RedisClient;
  readonly #channel: string;
  readonly #ackChannel: string;
  readonly #local = new LocalAccessChanges(false);
  readonly #onError: (error: unknown) => void;
  readonly #ackTimeoutMs: number;
  /** Announcements of this node awaiting acks: id → acks so far, and the wake-up. */
  readonly #pending = new Map<string, { acks: number; wake: () => void }>();
  #ready: Promise<void>;

  constructor(
    redis: RedisClient,
    channel: string,
    onError: (error: unknown) => void = () => {},
    opts: { ackTimeoutMs?: number } = {},
  ) {
    this.#redis = redis;
    this.#channel = channel;
    this.#ackChannel = `${channel}:ack`;
    this.#onError = onError;
    this.#ackTimeoutMs = opts.ackTimeoutMs ?? 1000;
    this.#sub = duplicateConnection(redis, `${channel}-sub`);
    this.#sub.on('error', onError);
    this.#sub.on('message', (ch: string, message: string) => this.#onMessage(ch, message));
    let closedOnce = false;
    this.#sub.on('close', () => {
      closedOnce = true;
      this.#local.setDelivering(false);
    });
    this.#sub.on('ready', () => {
      if (closedOnce) this.#ready = this.#subscribe();
    });
    this.#ready = this.#subscribe();
  }

  #subscribe(): Promise<void> {
    return subscribeTo(this.#sub, this.#channel, this.#ackChannel).then(
      () => this.#local.setDelivering(this.#sub.status === 'ready'),
      (err: unknown) => {
        this.#onError(err);
        // Not subscribed on a live connection (a timed-out SUBSCRIBE): try again; the cache stays off meanwhile.
        if (this.#sub.status === 'ready') setTimeout(() => void this.#subscribe(), 1000).unref();
      },
    );
  }

  #onMessage(ch: string, message: string): void {
    if (ch === this.#ackChannel) {
      const waiting = this.#pending.get(message);
      if (waiting) {
        waiting.acks++;
        waiting.wake();
      }
      return;
    }
    if (ch !== this.#channel) return;
    const { id, change } = parseMessage(message);
    void this.#local.publish(change);
    if (id) this.#redis.publish(this.#ackChannel, id).catch(this.#onError);
  }

  /** Resolves once the (latest) subscription is in place. */
  ready(): Promise<void> {
    return this.#ready;
  }

  async publish(change: AccessChange): Promise<void> {
    // Also locally at once: this node must not wait for the round trip.
    await this.#local.publish(change);
    const id = randomUUID();
    let wake = () => {};
    const waiting = { acks: 0, wake: () => wake() };
    this.#pending.set(id, waiting);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const receivers = await this.#receivers(
        await this.#redis.publish(this.#channel, JSON.stringify({ id, ...change })),
      );
      await new Promise<void>((resolve) => {
        wake = () => waiting.acks >= receivers && resolve();
        timer = setTimeout(resolve, this.#ackTimeoutMs);
        wake();
      });
    } finally {
      clearTimeout(timer);
      this.#pending.delete(id);
    }
  }

  /**
   * How many subscribers heard a PUBLISH that reached `published` on its node. In a
   * Cluster the message crosses to every node but PUBLISH counts only the node's own
   * subscribers, so every node is asked for its count (PUBSUB NUMSUB).
   */
  async #receivers(published: number): Promise<number> {
    const redis = this.#redis;
    if (!isCluster(redis)) return published;
    const counts = await Promise.all(
      redis
        .nodes('all')
        .map((node) => node.pubsub('NUMSUB', this.#channel).then((r) => Number((r as unknown[])[1] ?? 0))),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  subscribe(listener: AccessChangeListener): () => void {
    return this.#local.subscribe(listener);
  }

  async close(): Promise<void> {
    await this.#sub.quit().catch(() => this.#sub.disconnect());
  }
}

/**
 * Announces a change after its COMMIT, on `deps.accessChanges` (or this
 * process's bus). Bounded: when Redis is away the change has still been
 * applied here, and other nodes have suspended their caches (their
 * subscription is down too) or bound it by the cache's TTL; the request that
 * made the change is not failed for it.
 */
export async function announceAccessChange(
  deps: { accessChanges?: AccessChanges | undefined; log: Logger },
  change: AccessChange,
): Promise<void> {
  const bus = deps.accessChanges ?? processAccessChanges;
  try {
    await withDeadline(bus.publish(change), 2000, 'redis (access change)');
  } catch (err) {
    deps.log.warn({ err }, 'access change not announced to other api nodes; their caches expire it');
  }
}
