/**
 * GET /api/audit (admins only): the audit log, newest first, filtered by
 * actor and action. Entries are written by the routes they describe, in the
 * transaction of the change (repo.ts `recordAudit`).
 */
import { z } from '@hono/zod-openapi';
import { requireAdmin } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { AuditEntry } from '../contract.ts';
import { newRouter, Paging, pagedList, routeBuilder } from '../router.ts';
import { listAudit } from './repo.ts';

const AuditQuery = Paging.extend({
  actorId: z.uuid().optional(),
  action: z
    .string()
    .max(64)
    .regex(/^[a-z_.]+$/, 'an action such as user.update')
    .optional(),
});

const route = routeBuilder(['audit']);
const list = route(
  'get',
  '/',
  'The audit log, newest first',
  pagedList(AuditQuery, AuditEntry, 'A page of entries'),
);

export function auditRoutes(deps: AppDeps) {
  const app = newRouter();
  const { sql } = deps;

  app.openapi(list, async (c) => {
    requireAdmin(c);
    const page = await listAudit(sql, c.req.valid('query'));
    const items = page.items.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      actor: r.actorId ? { id: r.actorId, username: r.actorUsername ?? '' } : null,
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      ip: r.ip,
      details: r.details,
    }));
    return c.json({ items, total: page.total }, 200);
  });

  return app;
}
