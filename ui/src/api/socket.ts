/**
 * The realtime connection: one Socket.IO client per signed-in session, typed by
 * the server's event maps. socket.io-client reconnects on its own; this module
 * only owns creating and closing the one socket so stores can emit through it.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../api/contract.ts';

export type EmsSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let current: EmsSocket | null = null;

export function openSocket(token: string): EmsSocket {
  closeSocket();
  current = io({
    path: '/socket.io',
    auth: { token },
    // Websocket first: long-polling through some proxies doubles the latency of `live`.
    transports: ['websocket', 'polling'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  return current;
}

export function currentSocket(): EmsSocket | null {
  return current?.connected ? current : null;
}

export function closeSocket(): void {
  current?.removeAllListeners();
  current?.disconnect();
  current = null;
}

/** Raised when the server answers an emit with `{error}` or does not answer in time. */
export class SocketAckError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SocketAckError';
    this.code = code;
  }
}

export const ACK_TIMEOUT_MS = 8000;

/** Unwraps an acknowledgement `{ok: true, …}` or throws its `{error}`. */
export function unwrapAck<T extends object>(
  reply: ({ ok: true } & T) | { error: { code: string; message: string } },
): T {
  if ('error' in reply) throw new SocketAckError(reply.error.code, reply.error.message);
  return reply;
}
