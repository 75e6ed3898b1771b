/**
 * Login sessions in Postgres (`login_sessions`): every session statement of
 * the api. A row is open while not revoked and not expired; sessions.ts
 * decides when to open and end them.
 */
import type { Runner } from '../audit/repo.ts';

/** The nil uuid: `keep` when no session is to be spared. */
const NO_SESSION = '00000000-0000-0000-0000-000000000000';

/** Opens a session row for the user until `expiresAt`. */
export async function insertSession(run: Runner, id: string, userId: string, expiresAt: Date): Promise<void> {
  await run`insert into login_sessions (id, user_id, expires_at) values (${id}, ${userId}, ${expiresAt})`;
}

/** Deletes sessions that expired over a day ago. */
export async function sweepExpiredSessions(run: Runner): Promise<void> {
  await run`delete from login_sessions where expires_at < now() - interval '1 day'`;
}

/** Ends one session, if still open. */
export async function revokeSession(run: Runner, id: string): Promise<void> {
  await run`update login_sessions set revoked_at = now() where id = ${id} and revoked_at is null`;
}

/** Ends the user's open sessions except `keep`; returns the ids ended. */
export async function revokeUserSessions(run: Runner, userId: string, keep?: string): Promise<string[]> {
  const rows = await run<{ id: string }[]>`update login_sessions set revoked_at = now()
    where user_id = ${userId} and revoked_at is null and id <> ${keep ?? NO_SESSION}
    returning id`;
  return rows.map((r) => r.id);
}
