/**
 * Device ingest tokens (admins only): issue one (named, shown once), list a
 * device's active tokens with their last use, and revoke one. A device has at
 * most MAX_ACTIVE tokens, so rotation (issue new, then revoke old) works but a
 * leak cannot be multiplied without bound. A revoke is announced to every api
 * node (auth/access-changes.ts), which drops the token from its principal
 * cache, so it is refused everywhere at once. Issue and revoke are audited.
 */
import { z } from '@hono/zod-openapi';
import { changedBy, recordChange } from '../audit/by.ts';
import { announceAccessChange } from '../auth/access-changes.ts';
import { DEVICE_TOKEN_PREFIX, newOpaqueToken } from '../auth/opaque-tokens.ts';
import { requireAdmin } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { IngestToken, IngestTokenInfo, listOf, mapList } from '../contract.ts';
import { findDevice } from '../devices/repo.ts';
import { ApiError, notFound } from '../errors.ts';
import { errors, IdParam, json, newRouter, Paging, routeBuilder } from '../router.ts';
import {
  countActiveDeviceTokens,
  type DeviceTokenRow,
  insertDeviceToken,
  listActiveDeviceTokens,
  lockDevice,
  revokeDeviceToken,
} from './repo.ts';

export const MAX_ACTIVE_DEVICE_TOKENS = 20;

const CreateIngestToken = z
  .object({ name: z.string().trim().max(100).optional() })
  .strict()
  .openapi('CreateIngestToken');
const TokenParams = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }),
  tokenId: z.uuid().openapi({ param: { name: 'tokenId', in: 'path' } }),
});

const route = routeBuilder(['devices']);
const routes = {
  create: route('post', '/{id}/tokens', 'Issue an ingest token for this device (shown once)', {
    request: {
      params: IdParam,
      body: { required: false, content: { 'application/json': { schema: CreateIngestToken } } },
    },
    responses: { 201: json(IngestToken, 'The token'), ...errors(400, 401, 403, 404, 409) },
  }),
  list: route('get', '/{id}/tokens', "The device's active ingest tokens, with their last use", {
    request: { params: IdParam, query: Paging },
    responses: { 200: json(listOf(IngestTokenInfo), 'Tokens'), ...errors(400, 401, 403, 404) },
  }),
  revoke: route(
    'delete',
    '/{id}/tokens/{tokenId}',
    'Revoke an ingest token: refused (401) from now on, on every api node',
    {
      request: { params: TokenParams },
      responses: { 204: { description: 'Revoked' }, ...errors(401, 403, 404) },
    },
  ),
};

const toInfo = (r: DeviceTokenRow) => ({
  id: r.id,
  name: r.name,
  createdAt: r.createdAt.toISOString(),
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
});

export function deviceTokenRoutes(deps: AppDeps) {
  const app = newRouter();
  const { sql } = deps;

  app.openapi(routes.create, async (c) => {
    const me = requireAdmin(c);
    const { id } = c.req.valid('param');
    const name = c.req.valid('json').name ?? '';
    const { token, hash } = newOpaqueToken(DEVICE_TOKEN_PREFIX);
    const by = changedBy(c, me, deps.trustedProxies);
    const row = await sql.begin(async (tx) => {
      // The device row lock serialises concurrent issues, so the cap holds.
      if (!(await lockDevice(tx, id))) throw notFound('Device');
      if ((await countActiveDeviceTokens(tx, id)) >= MAX_ACTIVE_DEVICE_TOKENS)
        throw new ApiError(
          'conflict',
          `A device has at most ${MAX_ACTIVE_DEVICE_TOKENS} active tokens; revoke one first`,
        );
      const created = await insertDeviceToken(tx, { deviceId: id, name, hash });
      await recordChange(tx, by, 'device_token.create', 'device_token', created.id, { deviceId: id, name });
      return created;
    });
    return c.json({ id: row.id, name: row.name, token, createdAt: row.createdAt.toISOString() }, 201);
  });

  app.openapi(routes.list, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid('param');
    if (!(await findDevice(sql, id))) throw notFound('Device');
    const page = await listActiveDeviceTokens(sql, id, c.req.valid('query'));
    return c.json(mapList(page, toInfo), 200);
  });

  app.openapi(routes.revoke, async (c) => {
    const me = requireAdmin(c);
    const { id, tokenId } = c.req.valid('param');
    const by = changedBy(c, me, deps.trustedProxies);
    await sql.begin(async (tx) => {
      if (!(await revokeDeviceToken(tx, id, tokenId))) throw notFound('Token');
      await recordChange(tx, by, 'device_token.revoke', 'device_token', tokenId, { deviceId: id });
    });
    await announceAccessChange(deps, { tokens: [tokenId] });
    return c.body(null, 204);
  });

  return app;
}
