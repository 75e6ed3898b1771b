/**
 * The audit log in Postgres: every audit statement of the api. Writers pass
 * the transaction of the change they record, so an entry exists exactly when
 * its change does. `details` carries names and ids (which fields changed, a
 * token's name), never a password, hash or token value: callers build it from
 * allow-listed fields only.
 */
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import type { AuditAction } from '../../core/audit-actions.ts';
import type { Sql } from '../../db/connect.ts';
import { pageOf } from '../../db/page.ts';
import type { List } from '../contract.ts';

export type { AuditAction } from '../../core/audit-actions.ts';

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

/** Appends one entry, in the caller's transaction. */
export async function recordAudit(run: Runner, e: AuditEntry): Promise<void> {
  await run`insert into audit (id, actor_id, actor_username, action, target_type, target_id, ip, details)
    values (${randomUUID()}, ${e.actor?.id ?? null}, ${e.actor?.username ?? null}, ${e.action},
      ${e.targetType}, ${e.targetId}, ${e.ip}, ${run.json((e.details ?? {}) as never)})`;
}

/** One stored entry, as read back. */
export interface AuditRow {
  id: string;
  at: Date;
  actorId: string | null;
  actorUsername: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  limit: number;
  offset: number;
  actorId?: string | undefined;
  action?: string | undefined;
}

/** A page of entries, newest first, filtered by actor and action, and the total that match. */
export async function listAudit(sql: Sql, q: AuditQuery): Promise<List<AuditRow>> {
  const where = sql`where (${q.actorId ?? null}::uuid is null or actor_id = ${q.actorId ?? null})
    and (${q.action ?? null}::text is null or action = ${q.action ?? null})`;
  // One statement: the count and the page planned apart, joined (db/page.ts).
  const rows = await sql<(AuditRow & { total: number })[]>`select p.*, c.total
    from (select count(*)::int as total from audit ${where}) c
    left join lateral (select id, at, actor_id as "actorId", actor_username as "actorUsername", action,
        target_type as "targetType", target_id as "targetId", ip, details
      from audit ${where} order by at desc, id desc limit ${q.limit} offset ${q.offset}) p on true`;
  return pageOf(rows);
}
