/**
 * /api/webhooks: any signed-in user manages its own endpoints (a client's fire
 * for its own devices, an admin's for all; api/notify/fanout.ts). The secret is
 * shown once at creation; a target the SSRF guard refuses is a 400 here (and
 * `failed` at delivery). Create and delete are audited in their transaction.
 */
import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { changedBy, recordChange } from '../audit/by.ts';
import { requireUser } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { CreateWebhook, listOf, mapList, NewWebhook, Webhook, WebhookDelivery } from '../contract.ts';
import { ApiError, notFound } from '../errors.ts';
import { errors, IdParam, json, jsonBody, newRouter, Paging, pagedList, routeBuilder } from '../router.ts';
import {
  type DeliveryRow,
  deleteWebhook,
  findWebhook,
  insertDelivery,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  type WebhookRow,
} from './repo.ts';
import { newWebhookSecret } from './signature.ts';
import { assertPublicTarget, ForbiddenTarget } from './ssrf.ts';

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  url: r.url,
  events: r.events as Webhook['events'],
  description: r.description,
  createdAt: r.createdAt.toISOString(),
});

const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  event: r.event,
  status: r.status,
  attempts: r.attempts,
  responseStatus: r.responseStatus,
  createdAt: r.createdAt.toISOString(),
  deliveredAt: r.deliveredAt?.toISOString() ?? null,
});

const route = routeBuilder(['webhooks']);
const routes = {
  create: route('post', '/', 'Register a webhook endpoint (the secret is shown once)', {
    request: jsonBody(CreateWebhook),
    responses: { 201: json(NewWebhook, 'Created'), ...errors(400, 401, 403) },
  }),
  list: route(
    'get',
    '/',
    'My webhook endpoints (`q`: URL or description contains)',
    pagedList(Paging.extend({ q: z.string().trim().max(200).optional() }), Webhook, 'Endpoints'),
  ),
  remove: route('delete', '/{id}', 'Delete an endpoint and its delivery log', {
    request: { params: IdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(400, 401, 403, 404) },
  }),
  test: route('post', '/{id}/test', 'Send a signed `ping` to the endpoint (see its deliveries)', {
    request: { params: IdParam },
    responses: { 202: { description: 'Queued' }, ...errors(400, 401, 403, 404) },
  }),
  deliveries: route('get', '/{id}/deliveries', 'The delivery log of an endpoint, newest first', {
    request: { params: IdParam, query: Paging },
    responses: { 200: json(listOf(WebhookDelivery), 'Deliveries'), ...errors(400, 401, 403, 404) },
  }),
};

export function webhookRoutes(deps: AppDeps) {
  const app = newRouter();
  const { sql } = deps;
  const allowPrivate = deps.webhooks?.allowPrivate ?? false;

  app.openapi(routes.create, async (c) => {
    const me = requireUser(c);
    const body = c.req.valid('json');
    try {
      await assertPublicTarget(new URL(body.url), allowPrivate);
    } catch (err) {
      if (!(err instanceof ForbiddenTarget)) throw err;
      throw new ApiError('invalid_request', `The webhook URL is not allowed: ${err.message}`, [
        { path: 'url', message: err.message },
      ]);
    }
    const secret = newWebhookSecret();
    const by = changedBy(c, me, deps.trustedProxies);
    const row = await sql.begin(async (tx) => {
      const created = await insertWebhook(tx, {
        userId: me.id,
        url: body.url,
        events: body.events,
        description: body.description ?? '',
        secret,
      });
      await recordChange(tx, by, 'webhook.create', 'webhook', created.id, { url: created.url });
      return created;
    });
    return c.json({ ...toWebhook(row), secret }, 201);
  });

  app.openapi(routes.list, async (c) => {
    const me = requireUser(c);
    const page = await listWebhooks(sql, me.id, c.req.valid('query'));
    return c.json(mapList(page, toWebhook), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const me = requireUser(c);
    const { id } = c.req.valid('param');
    const by = changedBy(c, me, deps.trustedProxies);
    const deleted = await sql.begin(async (tx) => {
      if (!(await deleteWebhook(tx, id, me.id))) return false;
      await recordChange(tx, by, 'webhook.delete', 'webhook', id);
      return true;
    });
    if (!deleted) throw notFound('Webhook');
    return c.body(null, 204);
  });

  app.openapi(routes.test, async (c) => {
    const me = requireUser(c);
    const { id } = c.req.valid('param');
    const hook = await findWebhook(sql, id, me.id);
    if (!hook) throw notFound('Webhook');
    const payload = JSON.stringify({
      type: 'ping',
      timestamp: new Date().toISOString(),
      data: { webhookId: hook.id },
    });
    await insertDelivery(sql, { id: randomUUID(), webhookId: hook.id, event: 'ping', payload });
    deps.webhooks?.wake?.();
    return c.body(null, 202);
  });

  app.openapi(routes.deliveries, async (c) => {
    const me = requireUser(c);
    const { id } = c.req.valid('param');
    if (!(await findWebhook(sql, id, me.id))) throw notFound('Webhook');
    const page = await listDeliveries(sql, id, c.req.valid('query'));
    return c.json(mapList(page, toDelivery), 200);
  });

  return app;
}
