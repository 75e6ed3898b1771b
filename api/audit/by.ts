/**
 * Who made an audited change and from where: the actor (id and username, as
 * they were at the time) and the client address, read the same way for every
 * route that records one (`clientAddress`, which honours EMS_TRUSTED_PROXIES).
 */
import type { Context } from 'hono';
import { clientAddress } from '../auth/client-address.ts';
import type { AuditEntry } from './repo.ts';

export function changedBy(
  c: Context,
  me: { id: string; username: string },
  trustedProxies: readonly string[] | undefined,
): Pick<AuditEntry, 'actor' | 'ip'> {
  return { actor: { id: me.id, username: me.username }, ip: clientAddress(c, trustedProxies) };
}
