/**
 * Personal access tokens for automation: any signed-in user can create, list
 * and revoke their own. The value is shown once; only its hash is stored, and
 * a revoked or expired token is refused with 401. Only a login token creates
 * one (403 for a PAT): a stolen, expiring token must not mint a permanent one.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { newOpaqueToken, PAT_PREFIX } from '../auth/opaque-tokens.ts';
import { requireAdmin, requirePrincipal, requireUser } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { listOf, TokenInfo } from '../contract.ts';
import { ApiError, notFound } from '../errors.ts';
import { bearer, errors, IdParam, json, jsonBody, newRouter, Paging } from '../router.ts';

const CreateToken = z
  .object({
    name: z.string().trim().min(1).max(100),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict()
  .openapi('CreateToken');
const NewToken = TokenInfo.extend({ token: z.string() }).openapi('NewToken');

interface TokenRow {
  id: string;
  name: string;
  createdAt: Date;
  expiresAt: Date | null;
}
const toInfo = (r: TokenRow) => ({
  id: r.id,
  name: r.name,
  createdAt: r.createdAt.toISOString(),
  expiresAt: r.expiresAt?.toISOString() ?? null,
});

const tags = ['tokens'];
const routes = {
  create: createRoute({
    method: 'post',
    path: '/',
    tags,
    summary: 'Create a personal access token (shown once)',
    security: bearer,
    request: jsonBody(CreateToken),
    responses: { 201: json(NewToken, 'Created'), ...errors(400, 401, 403) },
  }),
  list: createRoute({
    method: 'get',
    path: '/',
    tags,
    summary: 'List my active tokens',
    security: bearer,
    request: { query: Paging },
    responses: { 200: json(listOf(TokenInfo), 'Tokens'), ...errors(400, 401, 403) },
  }),
  revoke: createRoute({
    method: 'delete',
    path: '/{id}',
    tags,
    summary: 'Revoke a token',
    security: bearer,
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
  const cols = sql.unsafe('id, name, created_at as "createdAt", expires_at as "expiresAt"');

  app.openapi(routes.create, async (c) => {
    const user = requireUser(c);
    const principal = requirePrincipal(c);
    if (principal.kind === 'user' && principal.via === 'pat')
      throw new ApiError('forbidden', 'A personal access token cannot create tokens; sign in to create one');
    const body = c.req.valid('json');
    const { token, hash } = newOpaqueToken(PAT_PREFIX);
    const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
    const rows = await sql<TokenRow[]>`insert into api_tokens (id, user_id, name, token_hash, expires_at)
      values (${randomUUID()}, ${user.id}, ${body.name}, ${hash}, ${expiresAt}) returning ${cols}`;
    return c.json({ ...toInfo(rows[0]!), token }, 201);
  });

  app.openapi(routes.list, async (c) => {
    const user = requireUser(c);
    const { limit, offset } = c.req.valid('query');
    const active = sql`user_id = ${user.id} and revoked_at is null and (expires_at is null or expires_at > now())`;
    const [rows, count] = await Promise.all([
      sql<
        TokenRow[]
      >`select ${cols} from api_tokens where ${active} order by created_at desc limit ${limit} offset ${offset}`,
      sql<{ n: number }[]>`select count(*)::int as n from api_tokens where ${active}`,
    ]);
    return c.json({ items: rows.map(toInfo), total: count[0]?.n ?? 0 }, 200);
  });

  app.openapi(routes.revoke, async (c) => {
    const user = requireUser(c);
    const { id } = c.req.valid('param');
    const rows = await sql`update api_tokens set revoked_at = now()
      where id = ${id} and user_id = ${user.id} and revoked_at is null returning id`;
    if (rows.length === 0) throw notFound('Token');
    hooks.onRevoked?.(id);
    return c.body(null, 204);
  });

  return app;
}

const ofUser = createRoute({
  method: 'get',
  path: '/{id}/tokens',
  tags: ['users'],
  summary: "A user's active personal access tokens (admins; values are never shown)",
  security: bearer,
  request: { params: IdParam, query: Paging },
  responses: { 200: json(listOf(TokenInfo), 'Tokens'), ...errors(400, 401, 403, 404) },
});

/** GET /api/users/:id/tokens: what an admin sees before "sign out everywhere". */
export function userTokenRoutes(deps: AppDeps) {
  const app = newRouter();
  const { sql } = deps;
  app.openapi(ofUser, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid('param');
    const { limit, offset } = c.req.valid('query');
    if ((await sql`select 1 from users where id = ${id}`).length === 0) throw notFound('User');
    const active = sql`user_id = ${id} and revoked_at is null and (expires_at is null or expires_at > now())`;
    const [rows, count] = await Promise.all([
      sql<TokenRow[]>`select id, name, created_at as "createdAt", expires_at as "expiresAt" from api_tokens
        where ${active} order by created_at desc limit ${limit} offset ${offset}`,
      sql<{ n: number }[]>`select count(*)::int as n from api_tokens where ${active}`,
    ]);
    return c.json({ items: rows.map(toInfo), total: count[0]?.n ?? 0 }, 200);
  });
  return app;
}
