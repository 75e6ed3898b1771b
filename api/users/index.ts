/**
 * User administration (admins only). Deleting a user unassigns its devices;
 * an administrator cannot delete itself. Invariant: at least one admin always
 * exists — a demotion or deletion locks every admin row first (in id order, so
 * two admins demoting each other serialise instead of both succeeding) and is
 * refused with 409 when it would remove the last. Setting a password ends the
 * user's login sessions; `sessions/revoke` also ends its access tokens. Every
 * write is audited in its own transaction.
 */
import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { userRoom } from '../../core/rooms.ts';
import { changedBy, recordChange } from '../audit/by.ts';
import type { Runner } from '../audit/repo.ts';
import { announceAccessChange } from '../auth/access-changes.ts';
import { assertPasswordPolicy } from '../auth/password-policy.ts';
import { hashPassword } from '../auth/passwords.ts';
import { requireAdmin } from '../auth/principal.ts';
import { endAllAccess, endLoginSessions, type SessionHooks } from '../auth/sessions.ts';
import type { AppDeps } from '../context.ts';
import { CreateUser, mapList, Role, UpdateUser, User } from '../contract.ts';
import { publishDeviceUpdated, sendControl } from '../devices/changes.ts';
import type { DeviceRow } from '../devices/repo.ts';
import { ApiError, notFound } from '../errors.ts';
import { excludingDeadline } from '../ops/request-deadline.ts';
import { errors, IdParam, json, jsonBody, newRouter, Paging, pagedList, routeBuilder } from '../router.ts';
import {
  deleteUser,
  findUser,
  insertUser,
  listUsers,
  lockAdmins,
  lockUser,
  toUser,
  unassignDevicesOf,
  updateUser,
} from './repo.ts';

const ListQuery = Paging.extend({
  q: z.string().max(100).optional().openapi({ description: 'Search in username, name and email' }),
  role: Role.optional(),
});

const route = routeBuilder(['users']);
const routes = {
  list: route('get', '/', 'List users', pagedList(ListQuery, User, 'A page of users')),
  create: route('post', '/', 'Create a user', {
    request: jsonBody(CreateUser),
    responses: { 201: json(User, 'Created'), ...errors(400, 401, 403, 409) },
  }),
  get: route('get', '/{id}', 'Get a user', {
    request: { params: IdParam },
    responses: { 200: json(User, 'The user'), ...errors(400, 401, 403, 404) },
  }),
  update: route('patch', '/{id}', 'Update a user', {
    request: { params: IdParam, ...jsonBody(UpdateUser) },
    responses: { 200: json(User, 'Updated'), ...errors(400, 401, 403, 404, 409) },
  }),
  remove: route('delete', '/{id}', 'Delete a user; their devices become unassigned', {
    request: { params: IdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(400, 401, 403, 404, 409) },
  }),
  revokeSessions: route(
    'post',
    '/{id}/sessions/revoke',
    'Sign the user out everywhere: every login token and personal access token is refused',
    {
      request: { params: IdParam },
      responses: { 204: { description: 'Revoked' }, ...errors(401, 403, 404) },
    },
  ),
};

/**
 * Locks every admin row (id order: concurrent callers queue instead of deadlocking) and
 * refuses, with 409, a change that would take `id` out of a set of one.
 */
async function assertNotLastAdmin(tx: Runner, id: string, what: string): Promise<void> {
  const admins = await lockAdmins(tx);
  if (admins.length <= 1 && admins.includes(id))
    throw new ApiError('conflict', `Cannot ${what} the last administrator`);
}

export interface UserHooks {
  /** Called after a user is deleted, with the ids of the devices it owned (now unassigned). */
  onDeleted?(userId: string, deviceIds: string[]): Promise<void>;
}

export function userRoutes(deps: AppDeps, hooks: UserHooks = {}, sessions: SessionHooks = {}) {
  const app = newRouter();
  const { sql } = deps;

  app.openapi(routes.list, async (c) => {
    requireAdmin(c);
    const page = await listUsers(sql, c.req.valid('query'));
    return c.json(mapList(page, toUser), 200);
  });

  app.openapi(routes.create, async (c) => {
    const me = requireAdmin(c);
    const body = c.req.valid('json');
    assertPasswordPolicy(body.password, body.username);
    const passwordHash = await excludingDeadline(c, () => hashPassword(body.password));
    const by = changedBy(c, me, deps.trustedProxies);
    const row = await sql.begin(async (tx) => {
      const created = await insertUser(tx, {
        id: randomUUID(),
        username: body.username,
        name: body.name,
        email: body.email ?? null,
        role: body.role,
        passwordHash,
      });
      if (created) {
        await recordChange(tx, by, 'user.create', 'user', created.id, {
          username: created.username,
          role: created.role,
        });
      }
      return created;
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
    const password = body.password;
    const passwordHash = password ? await excludingDeadline(c, () => hashPassword(password)) : null;
    try {
      const by = changedBy(c, me, deps.trustedProxies);
      const { row, rooms } = await sql.begin(async (tx) => {
        if (body.role === 'client') await assertNotLastAdmin(tx, id, 'demote');
        const before = await lockUser(tx, id);
        if (!before) throw notFound('User');
        if (body.password) assertPasswordPolicy(body.password, body.username ?? before.username);
        const updated = await updateUser(tx, id, {
          username: body.username,
          name: body.name,
          email: body.email,
          role: body.role,
          passwordHash,
        });
        const ended = passwordHash ? await endLoginSessions(tx, id) : [];
        // Field names only: never the password itself.
        const details = { fields: Object.keys(body).sort(), ...(body.role ? { role: body.role } : {}) };
        await recordChange(tx, by, 'user.update', 'user', id, details);
        // A role change takes effect on the sockets at once: they reconnect and are re-roomed.
        const roleChanged = body.role !== undefined && body.role !== before.role;
        return { row: updated!, rooms: roleChanged ? [userRoom(id)] : ended };
      });
      // Role, name, password: what every node's cached principal of the user says is stale.
      await announceAccessChange(deps, { users: [id] });
      if (rooms.length > 0) sessions.endSockets?.(rooms);
      return c.json(toUser(row), 200);
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
    const by = changedBy(c, me, deps.trustedProxies);
    const unassigned = (await sql.begin(async (tx) => {
      await assertNotLastAdmin(tx, id, 'delete');
      const owned = await unassignDevicesOf(tx, id);
      if (!(await deleteUser(tx, id))) throw notFound('User');
      await recordChange(tx, by, 'user.delete', 'user', id);
      return owned;
    })) as DeviceRow[];
    await announceAccessChange(deps, { users: [id] });
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

  app.openapi(routes.revokeSessions, async (c) => {
    const me = requireAdmin(c);
    const { id } = c.req.valid('param');
    const by = changedBy(c, me, deps.trustedProxies);
    const rooms = await sql.begin(async (tx) => {
      if (!(await lockUser(tx, id))) throw notFound('User');
      const ended = await endAllAccess(tx, id);
      await recordChange(tx, by, 'user.sessions_revoke', 'user', id, { ended: ended.length });
      return ended;
    });
    await announceAccessChange(deps, { users: [id] });
    // The whole user room: also sockets opened by this user with any token.
    sessions.endSockets?.([userRoom(id), ...rooms]);
    return c.body(null, 204);
  });

  return app;
}
