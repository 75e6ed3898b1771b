/**
 * Test support for the gateway: real api nodes (an HTTP server with the app,
 * the chat routes and a gateway, on a random loopback port) and real
 * socket.io-client connections, plus small awaitable helpers. Nothing here
 * sleeps: tests wait for events, and prove that an event did NOT arrive by
 * sending a later marker on the same path and checking what came before it.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Redis } from 'ioredis';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { RedisEventPublisher } from '../../runtime/redis/events.ts';
import { redisKeys } from '../../runtime/redis/keys.ts';
import { createApp } from '../app.ts';
import { chatRoutes } from '../chat/index.ts';
import { ChatService } from '../chat/service.ts';
import type { AppDeps } from '../context.ts';
import type { Alert, ClientToServerEvents, ServerToClientEvents } from '../contract.ts';
import { TEST_REDIS_URL, type TestApp, type TestAppOptions, testApp } from '../testing.ts';
import { attachRealtime, disconnectRooms, type Realtime, type RealtimeOptions } from './gateway.ts';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ApiNode {
  url: string;
  realtime: Realtime;
  close(): Promise<void>;
}

/** An api node over `deps`: REST (with chat) and Socket.IO on one port. */
export async function startApiNode(deps: AppDeps, opts: RealtimeOptions = {}): Promise<ApiNode> {
  const chat = opts.chat ?? new ChatService({ sql: deps.sql, events: deps.events, log: deps.log });
  let realtime: Realtime | undefined;
  const { app } = createApp(deps, {
    mount: [(a) => a.route('/api/chat', chatRoutes(deps, chat))],
    // As cli/processes.ts wires it: ended sessions close their sockets on every node.
    sessionHooks: { endSockets: (rooms) => realtime && disconnectRooms(realtime.io, rooms) },
    tokenHooks: { onRevoked: (tokenId) => realtime && disconnectRooms(realtime.io, [`token:${tokenId}`]) },
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  realtime = await attachRealtime(server, deps, { ...opts, chat });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const attached = realtime;
  return {
    url: `http://127.0.0.1:${port}`,
    realtime: attached,
    async close() {
      await attached.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A test app and what a test file serves over it; set in the file's beforeAll. */
export type ApiFixture<Nodes> = { t: TestApp } & Nodes;

/**
 * Registers a test file's hooks: before all, a test app and the nodes `start`
 * serves over it; after each test, every socket closed; after all, the nodes
 * and the app closed. Returns the fixture, filled in before the first test.
 */
function useFixture<Nodes>(
  appOptions: TestAppOptions,
  start: (t: TestApp) => Promise<{ nodes: Nodes; close(): Promise<void> }>,
): ApiFixture<Nodes> {
  const fixture = {} as ApiFixture<Nodes>;
  let close = async () => {};
  beforeAll(async () => {
    fixture.t = await testApp(appOptions);
    const started = await start(fixture.t);
    Object.assign(fixture, started.nodes);
    close = started.close;
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    await close();
    await fixture.t?.close();
  });
  return fixture;
}

/** One api node over the test app's in-memory event publisher (single-process mode). */
export function useApiNode(
  opts: { app?: TestAppOptions; node?: RealtimeOptions } = {},
): ApiFixture<{ node: ApiNode }> {
  return useFixture(opts.app ?? {}, async (t) => {
    const node = await startApiNode(t.deps, { memoryEvents: t.drivers.events, ...opts.node });
    return { nodes: { node }, close: () => node.close() };
  });
}

/**
 * Two api nodes forming one Socket.IO cluster on real Redis, under a random
 * key prefix, with the runtime's emitter as their publisher: what a test needs
 * to prove that something crosses nodes.
 */
export function useTwoNodeCluster(
  opts: RealtimeOptions = {},
): ApiFixture<{ node1: ApiNode; node2: ApiNode; emitter: RedisEventPublisher }> {
  return useFixture({}, async (t) => {
    const prefix = `t_${randomBytes(5).toString('hex')}`;
    const redis = new Redis(TEST_REDIS_URL);
    const emitter = new RedisEventPublisher(redis, redisKeys(prefix).socketIo);
    const deps = { ...t.deps, events: emitter };
    const nodeOpts = { redisUrl: TEST_REDIS_URL, redisPrefix: prefix, ...opts };
    const node1 = await startApiNode(deps, nodeOpts);
    const node2 = await startApiNode(deps, nodeOpts);
    return {
      nodes: { node1, node2, emitter },
      async close() {
        await node1.close();
        await node2.close();
        // Pub/sub leaves no keys, but make sure nothing under this prefix survives the test.
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      },
    };
  });
}

/** An exceeded alert for a device of `ownerId`'s, as the runtime pushes it. */
export const alertFor = (ownerId: string): Alert => ({
  id: crypto.randomUUID(),
  deviceId: crypto.randomUUID(),
  deviceName: 'Heater',
  ownerId,
  kind: 'exceeded',
  hourStart: '2026-03-29T00:00:00.000Z',
  kwh: 2.5,
  maxHourlyKwh: 2,
  late: false,
  createdAt: '2026-03-29T00:30:00.000Z',
  acknowledgedAt: null,
});

const sockets = new Set<ClientSocket>();

/** Connects and resolves once connected; rejects with the server's `connect_error`. */
export function connect(url: string, auth: Record<string, unknown> | undefined): Promise<ClientSocket> {
  const socket: ClientSocket = connectClient(url, {
    path: '/socket.io',
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.add(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

export function closeAllSockets(): void {
  for (const s of sockets) s.close();
  sockets.clear();
}

/** Records every server event a socket receives, in order. */
export function recorder(socket: ClientSocket) {
  const seen: Array<{ event: string; payload: unknown }> = [];
  socket.onAny((event: string, payload: unknown) => seen.push({ event, payload }));
  return seen;
}

/** The next `event` on `socket` whose payload satisfies `match`. */
export function nextEvent<T = unknown>(
  socket: ClientSocket,
  event: string,
  match: (payload: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const listener = (name: string, payload: T) => {
      if (name !== event || !match(payload)) return;
      socket.offAny(listener);
      resolve(payload);
    };
    socket.onAny(listener);
  });
}

/** Emits with an acknowledgement and resolves with the server's reply (tests also send ill-typed payloads). */
// biome-ignore lint/suspicious/noExplicitAny: replies are inspected loosely
export function request(socket: ClientSocket, event: string, payload: unknown): Promise<any> {
  return (socket as unknown as { emitWithAck(e: string, p: unknown): Promise<unknown> }).emitWithAck(
    event,
    payload,
  );
}
