/**
 * Login sessions: every login token (JWT) names a row of `login_sessions` by
 * its `jti`, and is accepted only while that row is open. That is what lets a
 * token end before it expires — sign out (one session), a password change
 * (every other session), an admin setting a password or "sign out everywhere"
 * (all sessions, and for the latter every personal access token too). The
 * check runs when a token is first seen by an api node (then it is cached
 * until an access change names it, principal-cache.ts) and at every sockets'
 * re-check; `SessionHooks` closes the affected sockets on every api node at once.
 */
import { randomUUID } from 'node:crypto';
import { sessionRoom, tokenRoom } from '../../core/rooms.ts';
import type { Runner } from '../audit/repo.ts';
import { revokeAllPats } from '../tokens/repo.ts';
import type { JwtService } from './jwt.ts';
import { insertSession, revokeSession, revokeUserSessions, sweepExpiredSessions } from './sessions-repo.ts';

export interface SessionHooks {
  /** Disconnects every socket in these rooms, on every api node (Socket.IO adapter). */
  endSockets?(rooms: string[]): void;
}

/** Opens a session for the user and signs its login token. */
export async function issueLoginToken(
  deps: { sql: Runner; jwt: JwtService },
  user: { id: string; role: 'admin' | 'client' },
  jwt: JwtService = deps.jwt,
): Promise<{ token: string; expiresAt: Date; sessionId: string }> {
  const sessionId = randomUUID();
  const expiresAt = jwt.expiry();
  await insertSession(deps.sql, sessionId, user.id, expiresAt);
  // Dead rows are swept now and then by whoever signs in; nothing else reads them.
  if (Math.random() < 0.01) {
    await sweepExpiredSessions(deps.sql);
  }
  const { token } = await jwt.sign({ sub: user.id, role: user.role, jti: sessionId }, expiresAt);
  return { token, expiresAt, sessionId };
}

/** Ends one session (sign out). */
export async function endSession(sql: Runner, sessionId: string): Promise<void> {
  await revokeSession(sql, sessionId);
}

/** Ends the user's open login sessions except `keep`; returns the socket rooms to close. */
export async function endLoginSessions(sql: Runner, userId: string, keep?: string): Promise<string[]> {
  return (await revokeUserSessions(sql, userId, keep)).map(sessionRoom);
}

/** Ends every login session and personal access token of the user; returns the rooms to close. */
export async function endAllAccess(sql: Runner, userId: string): Promise<string[]> {
  const rooms = await endLoginSessions(sql, userId);
  const tokens = await revokeAllPats(sql, userId);
  return [...rooms, ...tokens.map(tokenRoom)];
}
