/**
 * Alerts: listed by status (clients see their own devices' only) and
 * acknowledged. After a reconnect the UI refetches `?status=open`, and
 * `?status=all&since=<newest createdAt it had>` for what was raised (and maybe
 * acknowledged) while it was offline.
 */
import { requireUser } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { Alert, AlertStatus, IsoDateTime, mapList, Uuid } from '../contract.ts';
import { notFound } from '../errors.ts';
import { errors, IdParam, json, newRouter, Paging, pagedList, routeBuilder } from '../router.ts';
import { acknowledgeAlert, listAlerts, toAlert } from './repo.ts';

const Query = Paging.extend({
  status: AlertStatus.default('open'),
  deviceId: Uuid.optional(),
  since: IsoDateTime.optional().openapi({
    description:
      'Only alerts created at or after this instant: a client that reconnects passes the `createdAt` of the newest alert it has seen and gets what it missed (merge by `id`).',
  }),
});

const route = routeBuilder(['alerts']);
const routes = {
  list: route('get', '/', 'List alerts, newest first', pagedList(Query, Alert, 'A page of alerts')),
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
    return c.json(mapList(page, toAlert), 200);
  });

  app.openapi(routes.ack, async (c) => {
    const user = requireUser(c);
    const row = await acknowledgeAlert(sql, c.req.valid('param').id, user.role === 'admin' ? null : user.id);
    if (!row) throw notFound('Alert');
    return c.json(toAlert(row), 200);
  });

  return app;
}
