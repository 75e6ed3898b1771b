/**
 * The Socket.IO gateway of an api node: on the same HTTP server (and port) as
 * the REST api, path `/socket.io`. Each signed-in socket joins `user:<id>`,
 * and `admins` for administrators. Events come from three places:
 *   - runtime nodes and other api nodes, through Redis: with `redisUrl`, the
 *     @socket.io/redis-adapter listens on the same `key` the runtime's
 *     @socket.io/redis-emitter publishes to, so N api nodes form one cluster;
 *   - this process's MemoryEventPublisher (single-process mode), forwarded;
 *   - the chat handlers of the sockets themselves.
 * See README.md for the reconnection pattern clients follow.
 */
import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { Server } from 'socket.io';
import { tokenRoom, userRoom } from '../../core/rooms.ts';
import {
  connectRedis,
  isCluster,
  type RedisClient,
  subscriptionsInPlace,
} from '../../runtime/redis/connect.ts';
import type { EventSource } from '../../runtime/types.ts';
import type { Assistant } from '../assistant/index.ts';
import { ChatService } from '../chat/service.ts';
import type { AppDeps } from '../context.ts';
import type { ServerToClientEvents } from '../contract.ts';
import { apiRedisKeys } from '../redis-keys.ts';
import { type LimitedEvent, registerChatEvents } from './chat-events.ts';
import { type EmsServer, roomsFor, watchSessions } from './session.ts';

export interface RealtimeOptions {
  /** Redis for the cluster adapter; unset: this node's sockets only. */
  redisUrl?: string | undefined;
  /** `redisUrl` is a Redis Cluster's seed node (a list of several nodes always is a cluster). */
  redisCluster?: boolean | undefined;
  /** Key prefix shared with the runtime's emitter (see runtime/redis/keys.ts). Default 'ems'. */
  redisPrefix?: string | undefined;
  /** Single-process mode: events published here are forwarded to this server's rooms. */
  memoryEvents?: EventSource | undefined;
  /** The chat shared with the REST routes; created here (with `assistant`) when not given. */
  chat?: ChatService | undefined;
  assistant?: Assistant | undefined;
  /** How often tokens of open sockets are re-checked for revocation. Default 30 000 ms. */
  recheckMs?: number | undefined;
  log?: Logger | undefined;
}

export interface Realtime {
  io: EmsServer;
  chat: ChatService;
  /** Socket events dropped by the per-socket rate limits since start, by event. */
  droppedEvents: Record<LimitedEvent, number>;
  /** Disconnects this node's sockets and leaves the cluster; the HTTP server is left to its owner. */
  close(): Promise<void>;
}

export async function attachRealtime(
  server: HttpServer,
  deps: AppDeps,
  opts: RealtimeOptions = {},
): Promise<Realtime> {
  const log = opts.log ?? deps.log;
  const chat =
    opts.chat ?? new ChatService({ sql: deps.sql, events: deps.events, log, assistant: opts.assistant });

  let pub: RedisClient | undefined;
  let sub: RedisClient | undefined;
  let adapter: ReturnType<typeof createAdapter> | undefined;
  if (opts.redisUrl) {
    // The classic adapter (PUBLISH/PSUBSCRIBE), also over a Redis Cluster, where PUBLISH reaches
    // every node; the sharded adapter cannot hear the runtime's emitter (docs/OPERATIONS.md).
    const target = { url: opts.redisUrl, cluster: opts.redisCluster };
    pub = connectRedis(target, { connectionName: 'socket.io-pub' });
    sub = connectRedis(target, { connectionName: 'socket.io-sub' });
    for (const client of [pub, sub]) client.on('error', (err) => log.warn({ err }, 'socket.io redis error'));
    // A Cluster refuses a (P)SUBSCRIBE sent before it has chosen its subscriber connection, and the
    // adapter would never know: let it choose first.
    if (isCluster(sub)) await subscriptionsInPlace(sub);
    adapter = createAdapter(pub, sub, { key: apiRedisKeys(opts.redisPrefix).socketIo });
  }

  const io: EmsServer = new Server(server, {
    path: '/socket.io',
    serveClient: false,
    ...(adapter ? { adapter } : {}),
  });
  // The adapter subscribed on `sub` when the namespace was created; a PING answered on the same
  // connection proves the subscriptions are live, so no event published after this is missed.
  if (sub) await subscriptionsInPlace(sub);

  const stopWatching = watchSessions(io, deps, {
    recheckMs: opts.recheckMs,
    onError: (err) => log.warn({ err }, 'socket session check failed'),
  });

  const droppedEvents: Record<LimitedEvent, number> = { 'chat:typing': 0, 'chat:read': 0 };
  io.on('connection', (socket) => {
    void socket.join(roomsFor(socket.data));
    registerChatEvents(socket, chat, log, (event) => {
      droppedEvents[event]++;
      log.debug({ event, userId: socket.data.user.id }, 'socket event dropped by rate limit');
    });
  });

  const unsubscribe = opts.memoryEvents?.subscribe((rooms, event, payload) => {
    if (rooms.length === 0) return; // no rooms would mean everyone
    io.to(rooms).emit(event as keyof ServerToClientEvents, payload as never);
  });

  let closed: Promise<void> | undefined;
  return {
    io,
    chat,
    droppedEvents,
    close() {
      closed ??= (async () => {
        unsubscribe?.();
        stopWatching();
        await chat.idle();
        io.local.disconnectSockets(true);
        await io.of('/').adapter.close();
        io.engine.close();
        await Promise.allSettled([pub?.quit(), sub?.quit()]);
      })();
      return closed;
    },
  };
}

/** Ends every socket of a user on every api node (deleted user, role change). */
export function disconnectUser(io: EmsServer, userId: string): void {
  io.in(userRoom(userId)).disconnectSockets(true);
}

/** Ends every socket in these rooms, on every api node (sessions ended, role changed). */
export function disconnectRooms(io: EmsServer, rooms: string[]): void {
  if (rooms.length > 0) io.in(rooms).disconnectSockets(true);
}

/** Ends every socket opened with one personal access token, on every api node (token revoked). */
export function disconnectToken(io: EmsServer, tokenId: string): void {
  io.in(tokenRoom(tokenId)).disconnectSockets(true);
}

/** Exposes `droppedEvents` on /metrics as `ems_socket_events_dropped{event}` (a running count). */
export function exposeDroppedEvents(registry: Registry, realtime: Pick<Realtime, 'droppedEvents'>): void {
  new Gauge({
    name: 'ems_socket_events_dropped',
    help: 'Socket events dropped by the per-socket rate limits since start, by event',
    labelNames: ['event'] as const,
    registers: [registry],
    collect() {
      for (const [event, n] of Object.entries(realtime.droppedEvents)) this.set({ event }, n);
    },
  });
}
