/**
 * Users in Postgres. Rows never leave this module with their password hash
 * except through `findByUsernameWithHash`, used by login alone.
 */

import type { Sql } from '../../db/connect.ts';
import { pageOf } from '../../db/page.ts';
import type { Runner } from '../audit/repo.ts';
import type { User } from '../contract.ts';
import { DEVICE_COLUMNS, type DeviceRow } from '../devices/repo.ts';

export interface UserRow {
  id: string;
  username: string;
  name: string;
  email: string | null;
  role: 'admin' | 'client';
  /** Alert e-mails wanted (API.md, E-mail); sent only with an email and EMS_SMTP_URL. */
  notifyByEmail: boolean;
  createdAt: Date;
}

export const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  name: r.name,
  email: r.email,
  role: r.role,
  notifyByEmail: r.notifyByEmail,
  createdAt: r.createdAt.toISOString(),
});

const COLUMNS =
  'id, username, name, email, role, notify_by_email as "notifyByEmail", created_at as "createdAt"';

/** The user with this id; null when none. */
export async function findUser(sql: Sql, id: string): Promise<UserRow | null> {
  const rows = await sql.unsafe<UserRow[]>(`select ${COLUMNS} from users where id = $1`, [id]);
  return rows[0] ?? null;
}

/** The user, when `sessionId` is one of its open, unexpired login sessions. */
export async function findUserInSession(sql: Sql, id: string, sessionId: string): Promise<UserRow | null> {
  const rows = await sql<
    UserRow[]
  >`select u.id, u.username, u.name, u.email, u.role, u.notify_by_email as "notifyByEmail", u.created_at as "createdAt"
    from login_sessions s join users u on u.id = s.user_id
    where s.id = ${sessionId} and s.user_id = ${id} and s.revoked_at is null and s.expires_at > now()`;
  return rows[0] ?? null;
}

/** The user with this username and its password hash (login alone); null when none. */
export async function findByUsernameWithHash(
  sql: Sql,
  username: string,
): Promise<(UserRow & { passwordHash: string }) | null> {
  const rows = await sql.unsafe<(UserRow & { passwordHash: string })[]>(
    `select ${COLUMNS}, password_hash as "passwordHash" from users where username = $1`,
    [username],
  );
  return rows[0] ?? null;
}

export interface UserListQuery {
  limit: number;
  offset: number;
  q?: string | undefined;
  role?: 'admin' | 'client' | undefined;
}

/** A page of users by username, filtered by text and role, and the total that match. */
export async function listUsers(sql: Sql, q: UserListQuery): Promise<{ items: UserRow[]; total: number }> {
  const pattern = q.q ? `%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
  const where = sql`where (${pattern}::text is null or username ilike ${pattern} or name ilike ${pattern} or email ilike ${pattern})
    and (${q.role ?? null}::text is null or role = ${q.role ?? null})`;
  // One statement: the count and the page planned apart, joined (db/page.ts).
  const rows = await sql<(UserRow & { total: number })[]>`select p.*, c.total
    from (select count(*)::int as total from users ${where}) c
    left join lateral (select ${sql.unsafe(COLUMNS)} from users ${where}
      order by username limit ${q.limit} offset ${q.offset}) p on true`;
  return pageOf(rows);
}

export interface NewUser {
  id: string;
  username: string;
  name: string;
  email: string | null;
  role: 'admin' | 'client';
  passwordHash: string;
}

/** Inserts; returns null when the username is taken. */
export async function insertUser(sql: Runner, u: NewUser): Promise<UserRow | null> {
  const rows = await sql<UserRow[]>`insert into users (id, username, name, email, role, password_hash)
    values (${u.id}, ${u.username}, ${u.name}, ${u.email}, ${u.role}, ${u.passwordHash})
    on conflict (username) do nothing
    returning ${sql.unsafe(COLUMNS)}`;
  return rows[0] ?? null;
}

/** How many administrators exist. */
export async function countAdmins(sql: Sql): Promise<number> {
  const rows = await sql<{ n: number }[]>`select count(*)::int as n from users where role = 'admin'`;
  return rows[0]?.n ?? 0;
}

/** The stored password hash of a user (for a password change), or null. */
export async function findHashById(sql: Sql, id: string): Promise<string | null> {
  const rows = await sql<{ h: string }[]>`select password_hash as h from users where id = ${id}`;
  return rows[0]?.h ?? null;
}

/** Replaces the user's password hash. */
export async function setPasswordHash(sql: Runner, id: string, hash: string): Promise<void> {
  await sql`update users set password_hash = ${hash} where id = ${id}`;
}

/** A user's own profile fields (name, e-mail, alert e-mails); null when the user is gone. */
export async function updateProfile(
  sql: Sql,
  id: string,
  p: { name?: string | undefined; email?: string | null | undefined; notifyByEmail?: boolean | undefined },
): Promise<UserRow | null> {
  const rows = await sql<UserRow[]>`update users set
      name = coalesce(${p.name ?? null}, name),
      notify_by_email = coalesce(${p.notifyByEmail ?? null}::boolean, notify_by_email),
      email = case when ${p.email !== undefined} then ${p.email ?? null} else email end
    where id = ${id}
    returning ${sql.unsafe(COLUMNS)}`;
  return rows[0] ?? null;
}

/** Locks every admin row in id order (concurrent callers queue, never deadlock); returns their ids. */
export async function lockAdmins(tx: Runner): Promise<string[]> {
  const rows = await tx<{ id: string }[]>`select id from users where role = 'admin' order by id for update`;
  return rows.map((r) => r.id);
}

/** Locks the user's row for the rest of the transaction; null when there is no such user. */
export async function lockUser(tx: Runner, id: string): Promise<UserRow | null> {
  const rows = await tx<UserRow[]>`select ${tx.unsafe(COLUMNS)} from users where id = ${id} for update`;
  return rows[0] ?? null;
}

/** An admin's change to a user: unset fields keep their value; `email: null` clears it. */
export interface UserPatch {
  username?: string | undefined;
  name?: string | undefined;
  email?: string | null | undefined;
  role?: 'admin' | 'client' | undefined;
  passwordHash: string | null;
}

/** Applies the patch; null when the user is gone. A taken username throws Postgres 23505. */
export async function updateUser(run: Runner, id: string, p: UserPatch): Promise<UserRow | null> {
  const rows = await run<UserRow[]>`update users set
      username = coalesce(${p.username ?? null}, username),
      name = coalesce(${p.name ?? null}, name),
      email = case when ${p.email !== undefined} then ${p.email ?? null} else email end,
      role = coalesce(${p.role ?? null}, role),
      password_hash = coalesce(${p.passwordHash}, password_hash)
    where id = ${id}
    returning ${run.unsafe(COLUMNS)}`;
  return rows[0] ?? null;
}

/** Unassigns every device the user owns; returns those devices as they now are. */
export function unassignDevicesOf(run: Runner, userId: string): Promise<DeviceRow[]> {
  return run<DeviceRow[]>`update devices set owner_id = null where owner_id = ${userId}
    returning ${run.unsafe(DEVICE_COLUMNS)}`;
}

/** Deletes the user; false when there is no such user. */
export async function deleteUser(run: Runner, id: string): Promise<boolean> {
  const rows = await run`delete from users where id = ${id} returning id`;
  return rows.length > 0;
}
