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
import { acknowledgeAlert, listAlerts, toAlert } from './repo.ts';

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
    const page = await listAlerts(sql, { ...q, ownerId: user.role === 'admin' ? null : user.id });
    return c.json({ items: page.items.map(toAlert), total: page.total }, 200);
  });

  app.openapi(routes.ack, async (c) => {
    const user = requireUser(c);
    const row = await acknowledgeAlert(sql, c.req.valid('param').id, user.role === 'admin' ? null : user.id);
    if (!row) throw notFound('Alert');
    return c.json(toAlert(row), 200);
  });

  return app;
}
