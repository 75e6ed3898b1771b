/**
 * First-start chores shared by every process: the JWT secret of the embedded
 * mode (generated once, kept in the data directory) and the first
 * administrator (created when no admin exists; a generated password is
 * printed once).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hashPassword } from '../api/auth/passwords.ts';
import { countAdmins, insertUser } from '../api/users/repo.ts';
import type { Sql } from '../db/connect.ts';

export function jwtSecretFor(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.resolve(dataDir, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(48).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return readFileSync(file, 'utf8').trim();
  }
}

export interface AdminBootstrap {
  username: string;
  /** Set when a password was generated and must be shown to the operator. */
  generatedPassword?: string;
}

export async function ensureAdmin(
  sql: Sql,
  username: string,
  password: string | undefined,
): Promise<AdminBootstrap | null> {
  if ((await countAdmins(sql)) > 0) return null;
  const generated = password ? undefined : randomBytes(12).toString('base64url');
  const created = await insertUser(sql, {
    id: randomUUID(),
    username,
    name: 'Administrator',
    email: null,
    role: 'admin',
    passwordHash: await hashPassword(password ?? generated!),
  });
  if (!created) return null; // another process won the race
  return generated ? { username, generatedPassword: generated } : { username };
}
