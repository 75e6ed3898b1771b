/**
 * Alerts: listed by status (clients see their own devices' only) and
 * acknowledged. After a reconnect the UI refetches `?status=open` to catch
 * up on what it missed while offline.
 */
import { requireUser } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { Alert, AlertStatus, listOf, Uuid } from '../contract.ts';
import { notFound } from '../errors.ts';
import { errors, IdParam, json, newRouter, Paging, routeBuilder } from '../router.ts';
import { acknowledgeAlert, listAlerts, toAlert } from './repo.ts';

const Query = Paging.extend({
  status: AlertStatus.default('open'),
  deviceId: Uuid.optional(),
});

const route = routeBuilder(['alerts']);
const routes = {
  list: route('get', '/', 'List alerts, newest first', {
    request: { query: Query },
    responses: { 200: json(listOf(Alert), 'A page of alerts'), ...errors(400, 401, 403) },
  }),
  ack: route('post', '/{id}/ack', 'Acknowledge an alert', {
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
