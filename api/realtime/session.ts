/**
 * Who is on a socket, and for how long. The handshake's `auth.token` is
 * resolved exactly like a bearer token of the REST api; anything but a
 * signed-in user (no token, a bad one, a device token) is refused with the
 * `connect_error` message `unauthorized`. A session then ends on its own when
 * the token expires (a timer at `exp`) or is revoked / its user deleted or
 * demoted (a periodic re-check), because a socket outlives the request that
 * opened it and must not keep receiving another's alerts. The api ends
 * sockets at once, on every node, through the rooms `session:<id>`,
 * `token:<id>` and `user:<id>` (gateway.ts `disconnectRooms`); the re-check is
 * the safety net for a node that missed that message.
 */

import type { Server, Socket } from 'socket.io';
import { ADMINS_ROOM, sessionRoom, tokenRoom, userRoom } from '../../core/rooms.ts';
import { resolveToken } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../contract.ts';
import type { UserRow } from '../users/repo.ts';

export interface SocketData {
  user: Pick<UserRow, 'id' | 'role' | 'name' | 'username'>;
  /** Personal access token id, when the socket signed in with one (room `token:<id>`). */
  tokenId?: string | undefined;
  /** Login session id, when the socket signed in with a login token (room `session:<id>`). */
  sessionId?: string | undefined;
}

// biome-ignore lint/complexity/noBannedTypes: Socket.IO's "no inter-server events" is `{}`
export type EmsServer = Server<ClientToServerEvents, ServerToClientEvents, {}, SocketData>;
// biome-ignore lint/complexity/noBannedTypes: as above
export type EmsSocket = Socket<ClientToServerEvents, ServerToClientEvents, {}, SocketData>;

/** The largest delay setTimeout accepts (~24.8 days); later expiries are left to the re-check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const roomsFor = (data: SocketData): string[] => [
  userRoom(data.user.id),
  ...(data.user.role === 'admin' ? [ADMINS_ROOM] : []),
  ...(data.tokenId ? [tokenRoom(data.tokenId)] : []),
  ...(data.sessionId ? [sessionRoom(data.sessionId)] : []),
];

export interface SessionWatchOptions {
  /** How often every local socket's token is resolved again. Default 30 000 ms. */
  recheckMs?: number | undefined;
  onError?: (error: unknown) => void;
}

/**
 * Installs the handshake check on `io` and watches the sessions it admits.
 * Returns the function that stops watching.
 */
export function watchSessions(
  io: EmsServer,
  deps: Pick<AppDeps, 'sql' | 'jwt'>,
  opts: SessionWatchOptions = {},
): () => void {
  // Tokens stay in this process: socket.data may be serialised to other nodes by the adapter.
  const tokens = new Map<string, string>();
  const expiryTimers = new Map<string, ReturnType<typeof setTimeout>>();

  io.use(async (socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    try {
      const principal =
        typeof token === 'string' && token.length > 0 && token.length <= 4096
          ? await resolveToken(deps, token)
          : null;
      if (principal?.kind !== 'user') return next(new Error('unauthorized'));
      const { id, role, name, username } = principal.user;
      socket.data = {
        user: { id, role, name, username },
        tokenId: principal.tokenId,
        sessionId: principal.sessionId,
      };
      const expiresAt = principal.expiresAt ?? Number.POSITIVE_INFINITY;
      const inMs = expiresAt - Date.now();
      if (inMs <= 0) return next(new Error('unauthorized'));
      tokens.set(socket.id, token as string);
      if (inMs < MAX_TIMER_MS) {
        const timer = setTimeout(() => socket.disconnect(true), inMs);
        timer.unref();
        expiryTimers.set(socket.id, timer);
      }
      socket.on('disconnect', () => forget(socket.id));
      next();
    } catch (error) {
      opts.onError?.(error);
      next(new Error('unauthorized'));
    }
  });

  function forget(socketId: string) {
    tokens.delete(socketId);
    clearTimeout(expiryTimers.get(socketId));
    expiryTimers.delete(socketId);
  }

  let checking = false;
  async function recheck() {
    if (checking) return;
    checking = true;
    try {
      // One lookup per distinct token: a user with many tabs costs one query, not one per tab.
      const byToken = new Map<string, EmsSocket[]>();
      for (const socket of io.of('/').sockets.values()) {
        const token = tokens.get(socket.id);
        if (token) {
          const list = byToken.get(token);
          if (list) list.push(socket);
          else byToken.set(token, [socket]);
        }
      }
      for (const [token, sockets] of byToken) {
        const principal = await resolveToken(deps, token).catch((error: unknown) => {
          opts.onError?.(error);
          return undefined; // the database hiccuped: keep the sessions, check again next round
        });
        if (principal === undefined) continue;
        for (const socket of sockets) {
          if (principal?.kind !== 'user' || principal.user.role !== socket.data.user.role) {
            socket.disconnect(true);
          }
        }
      }
    } finally {
      checking = false;
    }
  }
  const interval = setInterval(() => void recheck(), opts.recheckMs ?? 30_000);
  interval.unref();

  return () => {
    clearInterval(interval);
    for (const id of [...tokens.keys()]) forget(id);
  };
}
