/**
 * First-start chores shared by every process: the JWT secret of the embedded
 * mode (generated once, kept in the data directory) and the guarantee that an
 * administrator exists. With no admin, EMS_ADMIN_USERNAME is promoted when it
 * exists (a database left without admins is repaired at the next start) or
 * created (a generated password is printed once). Both are audited.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { recordAudit } from '../api/audit/repo.ts';
import { hashPassword } from '../api/auth/passwords.ts';
import { countAdmins, insertUser } from '../api/users/repo.ts';
import type { Sql } from '../db/connect.ts';

export function jwtSecretFor(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.resolve(dataDir, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(48).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return readFileSync(file, 'utf8').trim();
  }
}

export interface AdminBootstrap {
  username: string;
  /** Set when a password was generated and must be shown to the operator. */
  generatedPassword?: string;
  /** True when an existing user was made an administrator. */
  promoted?: boolean;
}

/** Serialises concurrent starts: one process repairs, the others then find an admin. */
const ADMIN_LOCK = 74_350_011;

export async function ensureAdmin(
  sql: Sql,
  username: string,
  password: string | undefined,
): Promise<AdminBootstrap | null> {
  if ((await countAdmins(sql)) > 0) return null;
  const generated = password ? undefined : randomBytes(12).toString('base64url');
  const passwordHash = await hashPassword(password ?? generated!);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${ADMIN_LOCK})`;
    const [admins] = await tx<{ n: number }[]>`select count(*)::int as n from users where role = 'admin'`;
    if ((admins?.n ?? 0) > 0) return null;
    const promoted = await tx<{ id: string }[]>`update users set role = 'admin'
      where username = ${username} returning id`;
    if (promoted[0]) {
      // The password is left as it is: its owner keeps signing in with it.
      await recordAudit(tx, {
        actor: null,
        action: 'user.update',
        targetType: 'user',
        targetId: promoted[0].id,
        ip: null,
        details: { fields: ['role'], role: 'admin', reason: 'no administrator left; promoted at start' },
      });
      return { username, promoted: true };
    }
    const created = await insertUser(tx, {
      id: randomUUID(),
      username,
      name: 'Administrator',
      email: null,
      role: 'admin',
      passwordHash,
    });
    if (!created) return null;
    await recordAudit(tx, {
      actor: null,
      action: 'user.create',
      targetType: 'user',
      targetId: created.id,
      ip: null,
      details: { username, role: 'admin', reason: 'no administrator; created at start' },
    });
    return generated ? { username, generatedPassword: generated } : { username };
  });
}
