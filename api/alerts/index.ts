/**
 * Alerts: listed by status (clients see their own devices' only) and
 * acknowledged. After a reconnect the UI refetches `?status=open` to catch
 * up on what it missed while offline.
 */
import { createRoute } from '@hono/zod-openapi';
import { requireUser } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { Alert, AlertStatus, listOf, Uuid } from '../contract.ts';
import { notFound } from '../errors.ts';
import { bearer, errors, IdParam, json, newRouter, Paging } from '../router.ts';
import { ALERT_SELECT, type AlertRow, toAlert } from './repo.ts';

const Query = Paging.extend({
  status: AlertStatus.default('open'),
  deviceId: Uuid.optional(),
});

const tags = ['alerts'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/',
    tags,
    summary: 'List alerts, newest first',
    security: bearer,
    request: { query: Query },
    responses: { 200: json(listOf(Alert), 'A page of alerts'), ...errors(400, 401, 403) },
  }),
  ack: createRoute({
    method: 'post',
    path: '/{id}/ack',
    tags,
    summary: 'Acknowledge an alert',
    security: bearer,
    request: { params: IdParam },
    responses: { 200: json(Alert, 'The acknowledged alert'), ...errors(400, 401, 403, 404) },
  }),
};

export function alertRoutes(deps: AppDeps) {
  const app = newRouter();
  const { sql } = deps;

  app.openapi(routes.list, async (c) => {
    const user = requireUser(c);
    const q = c.req.valid('query');
    const owner = user.role === 'admin' ? null : user.id;
    const where = sql`where (${owner}::uuid is null or d.owner_id = ${owner})
      and (${q.deviceId ?? null}::uuid is null or a.device_id = ${q.deviceId ?? null})
      and (${q.status} = 'all' or (${q.status} = 'open') = (a.acknowledged_at is null))`;
    const [rows, count] = await Promise.all([
      sql<
        AlertRow[]
      >`${sql.unsafe(ALERT_SELECT)} ${where} order by a.created_at desc, a.id limit ${q.limit} offset ${q.offset}`,
      sql<
        { n: number }[]
      >`select count(*)::int as n from alerts a join devices d on d.id = a.device_id ${where}`,
    ]);
    return c.json({ items: rows.map(toAlert), total: count[0]?.n ?? 0 }, 200);
  });

  app.openapi(routes.ack, async (c) => {
    const user = requireUser(c);
    const { id } = c.req.valid('param');
    const owner = user.role === 'admin' ? null : user.id;
    const updated = await sql`update alerts a set acknowledged_at = coalesce(a.acknowledged_at, now())
      from devices d where a.id = ${id} and d.id = a.device_id and (${owner}::uuid is null or d.owner_id = ${owner})
      returning a.id`;
    if (updated.length === 0) throw notFound('Alert');
    const rows = await sql<AlertRow[]>`${sql.unsafe(ALERT_SELECT)} where a.id = ${id}`;
    return c.json(toAlert(rows[0]!), 200);
  });

  return app;
}
