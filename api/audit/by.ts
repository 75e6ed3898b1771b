/**
 * Who made an audited change and from where: the actor (id and username, as
 * they were at the time) and the client address, read the same way for every
 * route that records one (`clientAddress`, which honours EMS_TRUSTED_PROXIES).
 */
import type { Context } from 'hono';
import type { AuditAction } from '../../core/audit-actions.ts';
import { clientAddress } from '../auth/client-address.ts';
import { type AuditEntry, type Runner, recordAudit } from './repo.ts';

export function changedBy(
  c: Context,
  me: { id: string; username: string },
  trustedProxies: readonly string[] | undefined,
): Pick<AuditEntry, 'actor' | 'ip'> {
  return { actor: { id: me.id, username: me.username }, ip: clientAddress(c, trustedProxies) };
}

/** Appends one audit entry in `tx`: `by` (from changedBy) did `action` to the `targetType` with `targetId`. */
export function recordChange(
  tx: Runner,
  by: Pick<AuditEntry, 'actor' | 'ip'>,
  action: AuditAction,
  targetType: AuditEntry['targetType'],
  targetId: string,
  details?: Record<string, unknown>,
): Promise<void> {
  return recordAudit(tx, { ...by, action, targetType, targetId, details });
}
