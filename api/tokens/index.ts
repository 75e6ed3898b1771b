/**
 * Personal access tokens for automation: any signed-in user can create, list
 * and revoke their own. The value is shown once; only its hash is stored, and
 * a revoked or expired token is refused with 401. Only a login token creates
 * one (403 for a PAT): a stolen, expiring token must not mint a permanent one.
 */
import { z } from '@hono/zod-openapi';
import { announceAccessChange } from '../auth/access-changes.ts';
import { newOpaqueToken, PAT_PREFIX } from '../auth/opaque-tokens.ts';
import { requireAdmin, requirePrincipal, requireUser } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { listOf, mapList, TokenInfo } from '../contract.ts';
import { ApiError, notFound } from '../errors.ts';
import { errors, IdParam, json, jsonBody, newRouter, Paging, pagedList, routeBuilder } from '../router.ts';
import { findUser } from '../users/repo.ts';
import { insertPat, listActivePats, type PatRow, revokePat } from './repo.ts';

const CreateToken = z
  .object({
    name: z.string().trim().min(1).max(100),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict()
  .openapi('CreateToken');
const NewToken = TokenInfo.extend({ token: z.string() }).openapi('NewToken');

const toInfo = (r: PatRow) => ({
  id: r.id,
  name: r.name,
  createdAt: r.createdAt.toISOString(),
  expiresAt: r.expiresAt?.toISOString() ?? null,
});

const route = routeBuilder(['tokens']);
const routes = {
  create: route('post', '/', 'Create a personal access token (shown once)', {
    request: jsonBody(CreateToken),
    responses: { 201: json(NewToken, 'Created'), ...errors(400, 401, 403) },
  }),
  list: route('get', '/', 'List my active tokens', pagedList(Paging, TokenInfo, 'Tokens')),
  revoke: route('delete', '/{id}', 'Revoke a token', {
    request: { params: IdParam },
    responses: { 204: { description: 'Revoked' }, ...errors(400, 401, 403, 404) },
  }),
};

export interface TokenHooks {
  /** Called after a token is revoked (the realtime layer ends its sockets at once). */
  onRevoked?(tokenId: string): void;
}

export function tokenRoutes(deps: AppDeps, hooks: TokenHooks = {}) {
  const app = newRouter();
  const { sql } = deps;

  app.openapi(routes.create, async (c) => {
    const user = requireUser(c);
    const principal = requirePrincipal(c);
    if (principal.kind === 'user' && principal.via === 'pat')
      throw new ApiError('forbidden', 'A personal access token cannot create tokens; sign in to create one');
    const body = c.req.valid('json');
    const { token, hash } = newOpaqueToken(PAT_PREFIX);
    const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
    const row = await insertPat(sql, { userId: user.id, name: body.name, hash, expiresAt });
    return c.json({ ...toInfo(row), token }, 201);
  });

  app.openapi(routes.list, async (c) => {
    const user = requireUser(c);
    const page = await listActivePats(sql, user.id, c.req.valid('query'));
    return c.json(mapList(page, toInfo), 200);
  });

  app.openapi(routes.revoke, async (c) => {
    const user = requireUser(c);
    const { id } = c.req.valid('param');
    if (!(await revokePat(sql, id, user.id))) throw notFound('Token');
    await announceAccessChange(deps, { tokens: [id] });
    hooks.onRevoked?.(id);
    return c.body(null, 204);
  });

  return app;
}

const userRoute = routeBuilder(['users']);
const ofUser = userRoute(
  'get',
  '/{id}/tokens',
  "A user's active personal access tokens (admins; values are never shown)",
  {
    request: { params: IdParam, query: Paging },
    responses: { 200: json(listOf(TokenInfo), 'Tokens'), ...errors(400, 401, 403, 404) },
  },
);

/** GET /api/users/:id/tokens: what an admin sees before "sign out everywhere". */
export function userTokenRoutes(deps: AppDeps) {
  const app = newRouter();
  const { sql } = deps;
  app.openapi(ofUser, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid('param');
    if (!(await findUser(sql, id))) throw notFound('User');
    const page = await listActivePats(sql, id, c.req.valid('query'));
    return c.json(mapList(page, toInfo), 200);
  });
  return app;
}
