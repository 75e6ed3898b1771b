/**
 * Tokens in Postgres: personal access tokens (`api_tokens`) and device ingest
 * tokens (`device_tokens`), every token statement of the api. Only hashes are
 * stored and looked up; a token is active while not revoked (and, for a PAT,
 * not expired). Writes that are audited take the caller's transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/connect.ts';
import type { Runner } from '../audit/repo.ts';
import type { List } from '../contract.ts';

/** A personal access token as listed (never its value or hash). */
export interface PatRow {
  id: string;
  name: string;
  createdAt: Date;
  expiresAt: Date | null;
}

/** A device ingest token as listed (never its value or hash). */
export interface DeviceTokenRow {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface Page {
  limit: number;
  offset: number;
}

const PAT_COLUMNS = 'id, name, created_at as "createdAt", expires_at as "expiresAt"';
const DEVICE_TOKEN_COLUMNS = 'id, name, created_at as "createdAt", last_used_at as "lastUsedAt"';

/** Stores a new PAT of the user by its hash. */
export async function insertPat(
  sql: Sql,
  t: { userId: string; name: string; hash: string; expiresAt: Date | null },
): Promise<PatRow> {
  const rows = await sql<PatRow[]>`insert into api_tokens (id, user_id, name, token_hash, expires_at)
    values (${randomUUID()}, ${t.userId}, ${t.name}, ${t.hash}, ${t.expiresAt}) returning ${sql.unsafe(PAT_COLUMNS)}`;
  return rows[0]!;
}

/** A page of the user's active PATs, newest first, and how many there are. */
export async function listActivePats(sql: Sql, userId: string, page: Page): Promise<List<PatRow>> {
  const active = sql`user_id = ${userId} and revoked_at is null and (expires_at is null or expires_at > now())`;
  const [items, count] = await Promise.all([
    sql<PatRow[]>`select ${sql.unsafe(PAT_COLUMNS)} from api_tokens
      where ${active} order by created_at desc limit ${page.limit} offset ${page.offset}`,
    sql<{ n: number }[]>`select count(*)::int as n from api_tokens where ${active}`,
  ]);
  return { items, total: count[0]?.n ?? 0 };
}

/** Revokes one of the user's PATs; false when there is no such active token. */
export async function revokePat(sql: Sql, id: string, userId: string): Promise<boolean> {
  const rows = await sql`update api_tokens set revoked_at = now()
    where id = ${id} and user_id = ${userId} and revoked_at is null returning id`;
  return rows.length > 0;
}

/** Revokes every PAT of the user; returns the ids revoked. */
export async function revokeAllPats(run: Runner, userId: string): Promise<string[]> {
  const rows = await run<{ id: string }[]>`update api_tokens set revoked_at = now()
    where user_id = ${userId} and revoked_at is null returning id`;
  return rows.map((r) => r.id);
}

/** The active PAT with this hash: its id, owner and expiry; null when none. */
export async function findActivePat(
  sql: Sql,
  hash: string,
): Promise<{ id: string; userId: string; expiresAt: Date | null } | null> {
  const rows = await sql<{ id: string; userId: string; expiresAt: Date | null }[]>`
    select id, user_id as "userId", expires_at as "expiresAt" from api_tokens
    where token_hash = ${hash} and revoked_at is null and (expires_at is null or expires_at > now())`;
  return rows[0] ?? null;
}

/** Locks the device row (serialising token issues for it); false when there is no such device. */
export async function lockDevice(tx: Runner, deviceId: string): Promise<boolean> {
  const rows = await tx`select id from devices where id = ${deviceId} for update`;
  return rows.length > 0;
}

/** How many active tokens the device has. */
export async function countActiveDeviceTokens(run: Runner, deviceId: string): Promise<number> {
  const [row] = await run<{ n: number }[]>`select count(*)::int as n from device_tokens
    where device_id = ${deviceId} and revoked_at is null`;
  return row?.n ?? 0;
}

/** Stores a new ingest token of the device by its hash. */
export async function insertDeviceToken(
  run: Runner,
  t: { deviceId: string; name: string; hash: string },
): Promise<DeviceTokenRow> {
  const rows = await run<DeviceTokenRow[]>`insert into device_tokens (id, device_id, name, token_hash)
    values (${randomUUID()}, ${t.deviceId}, ${t.name}, ${t.hash}) returning ${run.unsafe(DEVICE_TOKEN_COLUMNS)}`;
  return rows[0]!;
}

/** A page of the device's active tokens, newest first, and how many there are. */
export async function listActiveDeviceTokens(
  sql: Sql,
  deviceId: string,
  page: Page,
): Promise<List<DeviceTokenRow>> {
  const [items, count] = await Promise.all([
    sql<DeviceTokenRow[]>`select ${sql.unsafe(DEVICE_TOKEN_COLUMNS)} from device_tokens
      where device_id = ${deviceId} and revoked_at is null
      order by created_at desc, id limit ${page.limit} offset ${page.offset}`,
    countActiveDeviceTokens(sql, deviceId),
  ]);
  return { items, total: count };
}

/** Revokes one of the device's tokens; false when there is no such active token. */
export async function revokeDeviceToken(run: Runner, deviceId: string, tokenId: string): Promise<boolean> {
  const rows = await run`update device_tokens set revoked_at = now()
    where id = ${tokenId} and device_id = ${deviceId} and revoked_at is null returning id`;
  return rows.length > 0;
}

/** The active device token with this hash: its id and device; null when none. */
export async function findActiveDeviceToken(
  sql: Sql,
  hash: string,
): Promise<{ id: string; deviceId: string } | null> {
  const rows = await sql<{ id: string; deviceId: string }[]>`
    select id, device_id as "deviceId" from device_tokens
    where token_hash = ${hash} and revoked_at is null`;
  return rows[0] ?? null;
}

/** Stamps the token's last use, unless another node did so within the minute. */
export async function touchDeviceTokenUse(sql: Sql, tokenId: string): Promise<void> {
  await sql`update device_tokens set last_used_at = now()
    where id = ${tokenId} and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
}
