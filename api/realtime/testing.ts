/**
 * Test support for the gateway: real api nodes (an HTTP server with the app,
 * the chat routes and a gateway, on a random loopback port) and real
 * socket.io-client connections, plus small awaitable helpers. Nothing here
 * sleeps: tests wait for events, and prove that an event did NOT arrive by
 * sending a later marker on the same path and checking what came before it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { io as connectClient, type Socket } from 'socket.io-client';
import { createApp } from '../app.ts';
import { chatRoutes } from '../chat/index.ts';
import { ChatService } from '../chat/service.ts';
import type { AppDeps } from '../context.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../contract.ts';
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
