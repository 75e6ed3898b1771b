/**
 * GET /api/audit (admins only): the audit log, newest first, filtered by
 * actor and action. Entries are written by the routes they describe, in the
 * transaction of the change (record.ts).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { AuditEntry, listOf } from '../contract.ts';
import { bearer, errors, json, newRouter, Paging } from '../router.ts';

const AuditQuery = Paging.extend({
  actorId: z.uuid().optional(),
  action: z
    .string()
    .max(64)
    .regex(/^[a-z_.]+$/, 'an action such as user.update')
    .optional(),
});

const list = createRoute({
  method: 'get',
  path: '/',
  tags: ['audit'],
  summary: 'The audit log, newest first',
  security: bearer,
  request: { query: AuditQuery },
  responses: { 200: json(listOf(AuditEntry), 'A page of entries'), ...errors(400, 401, 403) },
});

interface Row {
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

export function auditRoutes(deps: AppDeps) {
  const app = newRouter();
  const { sql } = deps;

  app.openapi(list, async (c) => {
    requireAdmin(c);
    const q = c.req.valid('query');
    const where = sql`where (${q.actorId ?? null}::uuid is null or actor_id = ${q.actorId ?? null})
      and (${q.action ?? null}::text is null or action = ${q.action ?? null})`;
    const [rows, count] = await Promise.all([
      sql<Row[]>`select id, at, actor_id as "actorId", actor_username as "actorUsername", action,
          target_type as "targetType", target_id as "targetId", ip, details
        from audit ${where} order by at desc, id desc limit ${q.limit} offset ${q.offset}`,
      sql<{ n: number }[]>`select count(*)::int as n from audit ${where}`,
    ]);
    const items = rows.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      actor: r.actorId ? { id: r.actorId, username: r.actorUsername ?? '' } : null,
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      ip: r.ip,
      details: r.details,
    }));
    return c.json({ items, total: count[0]?.n ?? 0 }, 200);
  });

  return app;
}
