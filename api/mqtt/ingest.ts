/**
 * MQTT ingest of an api node (API.md Readings → MQTT). Each of the node's
 * broker connections joins the shared group `ems` on the readings topics and
 * on every device's own topic, so the broker splits messages between nodes.
 *
 * Invariant 1 over MQTT: a QoS 1/2 message is acknowledged (PUBACK) only after
 * the shard-queue enqueue carrying its readings resolved — the moment POST
 * /api/readings answers 202. Until then the broker holds it in this node's
 * persistent session (clean start off, a session expiry, a client id stable
 * across restarts): a node killed before acknowledging gets the message again
 * when it reconnects, and dedupe by (deviceId, timestamp) absorbs a redelivery
 * of readings that were already enqueued. An enqueue that fails is not
 * acknowledged either: the connection is dropped so the broker redelivers on
 * reconnect. Invalid messages are acknowledged (retrying cannot fix them); their
 * reason goes to `…/devices/<id>/errors` and to the metrics.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Sql } from '../../db/connect.ts';
import type { ShardQueueProducer } from '../../runtime/types.ts';
import { ApiError } from '../errors.ts';
import { KnownDevices } from '../readings/known-devices.ts';
import { tooOldForRetention } from '../readings/retention.ts';
import { EnqueueBatcher } from './batcher.ts';
import { type Decoded, decodeMessage, type MqttPayloadFormat } from './decode.ts';
import { createMqttMetrics, type MqttMetrics } from './metrics.ts';
import { type DeviceTopic, deviceTopics } from './repo.ts';
import { type MqttTopics, mqttTopics, sharedFilter } from './topics.ts';

export interface MqttIngestOptions {
  /** Broker URL, `mqtt://user:password@host:1883`. */
  url: string;
  /** Stable across restarts of this node and unique among nodes; connection i uses `<clientId>-<i>`. */
  clientId: string;
  producer: ShardQueueProducer;
  sql: Sql;
  shards: number;
  log: Logger;
  /** Where the metrics go (the api's /metrics registry). */
  registry?: Registry;
  /** Prepended to the `ems/devices/…` topics. Default '' (none). */
  topicPrefix?: string;
  /** Broker connections of this node (each a member of the shared group). Default 1. */
  connections?: number;
  /** How often devices' own topics are re-read from the database. Default 10 s. */
  refreshMs?: number;
  /** How long the broker keeps this node's unacknowledged messages while it is away. Default 1 day. */
  sessionExpirySeconds?: number;
  /** Reconnect backoff: first delay, doubled per failed attempt up to the ceiling, with jitter. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  now?: () => number;
  /** EMS_RAW_RETENTION_DAYS: a message with a reading older than this is refused (api/readings/retention.ts). */
  rawRetentionDays?: number | undefined;
}

interface Route {
  deviceId: string;
  format: MqttPayloadFormat;
  timeZone: string;
}

export class MqttIngest {
  readonly #o: Required<Omit<MqttIngestOptions, 'registry' | 'rawRetentionDays'>> &
    Pick<MqttIngestOptions, 'rawRetentionDays'>;
  readonly #topics: MqttTopics;
  readonly #metrics: MqttMetrics;
  readonly #known: KnownDevices;
  readonly #batcher: EnqueueBatcher;
  readonly #clients: MqttClient[] = [];
  readonly #subscribed = new Set<MqttClient>();
  readonly #inflight = new Set<Promise<void>>();
  #routes = new Map<string, DeviceTopic>();
  #refreshTimer: NodeJS.Timeout | undefined;
  #lastMessageAt = 0;
  #stopped = false;

  constructor(options: MqttIngestOptions) {
    this.#o = {
      topicPrefix: '',
      connections: 1,
      refreshMs: 10_000,
      sessionExpirySeconds: 86_400,
      reconnectMinMs: 500,
      reconnectMaxMs: 30_000,
      now: Date.now,
      ...options,
    };
    this.#topics = mqttTopics(this.#o.topicPrefix);
    this.#metrics = createMqttMetrics(options.registry);
    this.#known = new KnownDevices(options.sql);
    this.#batcher = new EnqueueBatcher(options.producer, options.shards);
  }

  get topics(): MqttTopics {
    return this.#topics;
  }

  /** Loads the device topics and starts connecting; a broker that is down is retried with backoff. */
  async start(): Promise<void> {
    this.#routes = await this.#loadRoutes();
    for (let i = 0; i < this.#o.connections; i++)
      this.#clients.push(this.#connect(`${this.#o.clientId}-${i}`));
    this.#refreshTimer = setInterval(() => {
      this.refresh().catch((err) => this.#o.log.warn({ err }, 'mqtt: reloading device topics failed'));
    }, this.#o.refreshMs);
    this.#refreshTimer.unref();
  }

  /** Resolves once every connection is up and subscribed (tests and the benchmark wait for it). */
  async ready(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.#subscribed.size < this.#clients.length) {
      if (Date.now() > until) throw new Error('MQTT ingest not subscribed in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** A readiness check for /readyz: throws while any broker connection is down. */
  readonly check = async (): Promise<void> => {
    if (this.#clients.length === 0 || this.#subscribed.size < this.#clients.length)
      throw new Error('MQTT broker not connected');
  };

  /** Re-reads the device topics and (un)subscribes the difference on every live connection. */
  async refresh(): Promise<void> {
    const next = await this.#loadRoutes();
    const added = [...next.keys()].filter((t) => !this.#routes.has(t)).map(sharedFilter);
    const removed = [...this.#routes.keys()].filter((t) => !next.has(t)).map(sharedFilter);
    this.#routes = next;
    for (const client of this.#subscribed) {
      if (added.length > 0) await subscribeAll(client, added);
      if (removed.length > 0) await client.unsubscribeAsync(removed);
    }
  }

  /**
   * Leaves the shared group, finishes the messages in flight (they are acknowledged), then
   * disconnects. Unsubscribing first matters: the broker keeps routing a share of the group's
   * messages to a disconnected member's persistent session, where a node that is scaled away
   * would leave them until the session expires.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#refreshTimer);
    const filters = [this.#topics.readingsFilter, ...this.#routes.keys()].map(sharedFilter);
    await Promise.all(
      [...this.#subscribed].map((c) => withTimeout(unsubscribeAll(c, filters), 3_000).catch(() => undefined)),
    );
    // Messages the broker sent before the UNSUBACK may still be arriving: wait for a quiet moment.
    const until = Date.now() + 5_000;
    while (Date.now() < until && (this.#inflight.size > 0 || Date.now() - this.#lastMessageAt < 100)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.allSettled([...this.#inflight]);
    await Promise.all(this.#clients.map((c) => c.endAsync().catch(() => undefined)));
  }

  async #loadRoutes(): Promise<Map<string, DeviceTopic>> {
    return new Map((await deviceTopics(this.#o.sql)).map((d) => [d.topic, d]));
  }

  #connect(clientId: string): MqttClient {
    const { log } = this.#o;
    let attempt = 0;
    let retry: NodeJS.Timeout | undefined;
    const options: IClientOptions = {
      clientId,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: this.#o.sessionExpirySeconds },
      reconnectPeriod: 0, // reconnects are scheduled below, with exponential backoff
      resubscribe: false, // the 'connect' handler subscribes the current topics itself
      connectTimeout: 5_000,
      customHandleAcks: (topic, payload, _packet, ack) => {
        this.#track(
          this.#handle(client, topic, payload).then(
            () => ack(0),
            (err) => {
              // Not acknowledged: drop the connection so the broker redelivers after the reconnect.
              log.warn({ err, topic }, 'mqtt: message not accepted; reconnecting for redelivery');
              client.stream.destroy();
            },
          ),
        );
      },
    };
    const client = connect(this.#o.url, options);
    client.on('message', (topic, payload, packet) => {
      // QoS 1/2 arrive through customHandleAcks (and are emitted here again after the ack).
      if (packet.qos !== 0) return;
      this.#track(
        this.#handle(client, topic, payload).catch((err) => log.warn({ err, topic }, 'mqtt: QoS 0 lost')),
      );
    });
    client.on('connect', () => {
      attempt = 0;
      const filters = [this.#topics.readingsFilter, ...this.#routes.keys()].map(sharedFilter);
      subscribeAll(client, filters).then(
        () => {
          this.#subscribed.add(client);
          this.#metrics.connected(this.#subscribed.size);
          log.info({ clientId, topics: filters.length }, 'mqtt: subscribed');
        },
        (err) => {
          log.warn({ err, clientId }, 'mqtt: subscribe failed; reconnecting');
          client.stream.destroy();
        },
      );
    });
    client.on('close', () => {
      this.#subscribed.delete(client);
      this.#metrics.connected(this.#subscribed.size);
      if (this.#stopped || retry) return;
      const cap = Math.min(this.#o.reconnectMaxMs, this.#o.reconnectMinMs * 2 ** Math.min(attempt++, 20));
      const delay = cap / 2 + (Math.random() * cap) / 2;
      retry = setTimeout(() => {
        retry = undefined;
        if (!this.#stopped) client.reconnect();
      }, delay);
    });
    client.on('error', (err) => log.warn({ err: err.message, clientId }, 'mqtt: connection error'));
    return client;
  }

  #track(p: Promise<void>): void {
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  /** Resolves when the message is settled (applied, or refused and explained); rejects to withhold the ack. */
  async #handle(client: MqttClient, topic: string, payload: Buffer): Promise<void> {
    this.#lastMessageAt = Date.now();
    const route = this.#route(topic);
    if (!route) {
      this.#metrics.message('unknown', 'ignored');
      return;
    }
    const decoded: Decoded = decodeMessage(route.format, payload, {
      deviceId: route.deviceId,
      timeZone: route.timeZone,
      now: this.#o.now(),
    });
    if (decoded.kind === 'ignored') return this.#metrics.message(route.format, 'ignored');
    if (decoded.kind === 'invalid') return this.#refuse(client, route, decoded.error);
    if (route.format === 'plain' && (await this.#known.missing([route.deviceId])).size > 0) {
      return this.#refuse(client, route, new ApiError('unprocessable', `Unknown device: ${route.deviceId}`));
    }
    const tooOld = tooOldForRetention(decoded.readings, this.#o.rawRetentionDays, this.#o.now());
    if (tooOld) return this.#refuse(client, route, tooOld);
    try {
      await this.#batcher.enqueue(decoded.readings);
    } catch (err) {
      this.#metrics.message(route.format, 'failed');
      throw err;
    }
    this.#metrics.message(route.format, 'accepted');
    this.#metrics.readings(decoded.readings.length);
  }

  #route(topic: string): Route | null {
    const own = this.#routes.get(topic);
    if (own) return own;
    const deviceId = this.#topics.deviceOfReadingsTopic(topic);
    return deviceId ? { deviceId, format: 'plain', timeZone: 'UTC' } : null;
  }

  #refuse(client: MqttClient, route: Route, error: ApiError): void {
    this.#metrics.message(route.format, 'invalid');
    // Not awaited: the broker's PUBACK for it cannot be read until this message is acknowledged.
    client.publish(
      this.#topics.errorsOf(route.deviceId),
      JSON.stringify(error.toBody()),
      { qos: 1 },
      (err) => {
        if (err) this.#o.log.warn({ err }, 'mqtt: publishing an error failed');
      },
    );
  }
}

/** Subscribes in chunks (a broker limits one SUBSCRIBE's size; a fleet may have many device topics). */
async function subscribeAll(client: MqttClient, filters: string[]): Promise<void> {
  for (let i = 0; i < filters.length; i += 500) {
    await client.subscribeAsync(filters.slice(i, i + 500), { qos: 1 });
  }
}

async function unsubscribeAll(client: MqttClient, filters: string[]): Promise<void> {
  for (let i = 0; i < filters.length; i += 500) await client.unsubscribeAsync(filters.slice(i, i + 500));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
