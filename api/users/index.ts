/**
 * User administration (admins only). Deleting a user unassigns its devices;
 * an administrator cannot delete itself.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { hashPassword } from '../auth/passwords.ts';
import { requireAdmin } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { CreateUser, listOf, Role, UpdateUser, User } from '../contract.ts';
import { publishDeviceUpdated, sendControl } from '../devices/changes.ts';
import { DEVICE_COLUMNS, type DeviceRow } from '../devices/repo.ts';
import { ApiError, notFound } from '../errors.ts';
import { bearer, errors, IdParam, json, jsonBody, newRouter, Paging } from '../router.ts';
import { findUser, insertUser, listUsers, toUser, type UserRow } from './repo.ts';

const ListQuery = Paging.extend({
  q: z.string().max(100).optional().openapi({ description: 'Search in username, name and email' }),
  role: Role.optional(),
});

const tags = ['users'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/',
    tags,
    summary: 'List users',
    security: bearer,
    request: { query: ListQuery },
    responses: { 200: json(listOf(User), 'A page of users'), ...errors(400, 401, 403) },
  }),
  create: createRoute({
    method: 'post',
    path: '/',
    tags,
    summary: 'Create a user',
    security: bearer,
    request: jsonBody(CreateUser),
    responses: { 201: json(User, 'Created'), ...errors(400, 401, 403, 409) },
  }),
  get: createRoute({
    method: 'get',
    path: '/{id}',
    tags,
    summary: 'Get a user',
    security: bearer,
    request: { params: IdParam },
    responses: { 200: json(User, 'The user'), ...errors(400, 401, 403, 404) },
  }),
  update: createRoute({
    method: 'patch',
    path: '/{id}',
    tags,
    summary: 'Update a user',
    security: bearer,
    request: { params: IdParam, ...jsonBody(UpdateUser) },
    responses: { 200: json(User, 'Updated'), ...errors(400, 401, 403, 404, 409) },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/{id}',
    tags,
    summary: 'Delete a user; their devices become unassigned',
    security: bearer,
    request: { params: IdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(400, 401, 403, 404, 409) },
  }),
};

export interface UserHooks {
  /** Called after a user is deleted, with the ids of the devices it owned (now unassigned). */
  onDeleted?(userId: string, deviceIds: string[]): Promise<void>;
}

export function userRoutes(deps: AppDeps, hooks: UserHooks = {}) {
  const app = newRouter();
  const { sql } = deps;

  app.openapi(routes.list, async (c) => {
    requireAdmin(c);
    const page = await listUsers(sql, c.req.valid('query'));
    return c.json({ items: page.items.map(toUser), total: page.total }, 200);
  });

  app.openapi(routes.create, async (c) => {
    requireAdmin(c);
    const body = c.req.valid('json');
    const row = await insertUser(sql, {
      id: randomUUID(),
      username: body.username,
      name: body.name,
      email: body.email ?? null,
      role: body.role,
      passwordHash: await hashPassword(body.password),
    });
    if (!row) throw new ApiError('conflict', `Username "${body.username}" is taken`);
    return c.json(toUser(row), 201);
  });

  app.openapi(routes.get, async (c) => {
    requireAdmin(c);
    const row = await findUser(sql, c.req.valid('param').id);
    if (!row) throw notFound('User');
    return c.json(toUser(row), 200);
  });

  app.openapi(routes.update, async (c) => {
    const me = requireAdmin(c);
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    if (id === me.id && body.role === 'client')
      throw new ApiError('conflict', 'An administrator cannot demote itself');
    const passwordHash = body.password ? await hashPassword(body.password) : null;
    try {
      const rows = await sql<UserRow[]>`update users set
          username = coalesce(${body.username ?? null}, username),
          name = coalesce(${body.name ?? null}, name),
          email = case when ${body.email !== undefined} then ${body.email ?? null} else email end,
          role = coalesce(${body.role ?? null}, role),
          password_hash = coalesce(${passwordHash}, password_hash)
        where id = ${id}
        returning id, username, name, email, role, created_at as "createdAt"`;
      if (!rows[0]) throw notFound('User');
      return c.json(toUser(rows[0]), 200);
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new ApiError('conflict', `Username "${body.username}" is taken`);
      throw err;
    }
  });

  app.openapi(routes.remove, async (c) => {
    const me = requireAdmin(c);
    const { id } = c.req.valid('param');
    if (id === me.id) throw new ApiError('conflict', 'An administrator cannot delete itself');
    const unassigned = (await sql.begin(async (tx) => {
      const owned = await tx<
        DeviceRow[]
      >`update devices set owner_id = null where owner_id = ${id} returning ${tx.unsafe(DEVICE_COLUMNS)}`;
      const deleted = await tx`delete from users where id = ${id} returning id`;
      if (deleted.length === 0) throw notFound('User');
      return owned;
    })) as DeviceRow[];
    // Like a PATCH ownerId: null — the actors must stop addressing alerts and live totals
    // to the deleted user, and admins' dashboards see the devices become unassigned.
    if (unassigned.length > 0) {
      await sendControl(
        deps,
        unassigned.map((d) => ({ deviceId: d.id, op: 'reload' as const })),
      );
      for (const device of unassigned) publishDeviceUpdated(deps, device, id);
    }
    await hooks.onDeleted?.(
      id,
      unassigned.map((d) => d.id),
    );
    return c.body(null, 204);
  });

  return app;
}
