/**
 * Writing the audit log. Callers pass the transaction of the change they
 * record, so an entry exists exactly when its change does. `details` carries
 * names and ids (which fields changed, a token's name), never a password,
 * hash or token value: callers build it from allow-listed fields only.
 */
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import type { Sql } from '../../db/connect.ts';

export type AuditAction =
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.logout'
  | 'auth.password_change'
  | 'user.create'
  | 'user.update'
  | 'user.delete'
  | 'user.sessions_revoke'
  | 'device.create'
  | 'device.update'
  | 'device.delete'
  | 'device_token.create'
  | 'device_token.revoke'
  | 'webhook.create'
  | 'webhook.delete';

export interface AuditEntry {
  actor: { id: string; username: string } | null;
  action: AuditAction;
  targetType: 'user' | 'device' | 'device_token' | 'webhook' | 'session';
  targetId: string | null;
  ip: string | null;
  details?: Record<string, unknown>;
}

/** The pool, or the transaction of the change being recorded. */
export type Runner = Sql | postgres.TransactionSql<Record<never, never>>;

export async function recordAudit(run: Runner, e: AuditEntry): Promise<void> {
  await run`insert into audit (id, actor_id, actor_username, action, target_type, target_id, ip, details)
    values (${randomUUID()}, ${e.actor?.id ?? null}, ${e.actor?.username ?? null}, ${e.action},
      ${e.targetType}, ${e.targetId}, ${e.ip}, ${run.json((e.details ?? {}) as never)})`;
}
