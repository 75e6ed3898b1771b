/**
 * Devices: administrators manage them; a client reads its own (another
 * client's device is a 404, never a 403, so ids do not leak). Ingest tokens
 * for a device live in api/tokens/device-tokens.ts.
 */
import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { canonicalTimeZone } from '../../core/time.ts';
import { changedBy, recordChange } from '../audit/by.ts';
import { announceAccessChange } from '../auth/access-changes.ts';
import { requireAdmin, requireUser } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { CreateDevice, Device, UpdateDevice, Uuid } from '../contract.ts';
import { ApiError, notFound } from '../errors.ts';
import { processDeviceInvalidations } from '../readings/device-invalidations.ts';
import {
  errors,
  IdParam,
  json,
  jsonBody,
  newRouter,
  Paging,
  pagedList,
  routeBuilder,
  sendJsonText,
} from '../router.ts';
import { findUser } from '../users/repo.ts';
import { configureControl, publishDeviceDeleted, publishDeviceUpdated, sendControl } from './changes.ts';
import { DeviceListCache } from './list-cache.ts';
import { assertMqttFields, conflictOnTopic } from './mqtt-fields.ts';
import { deleteDevice, insertDevice, toDevice, visibleDevice, type Within } from './repo.ts';
import { isConfigChange, updateDevice } from './update.ts';

const ListQuery = Paging.extend({
  ownerId: Uuid.optional(),
  unassigned: z.enum(['true', 'false']).optional(),
  q: z.string().max(100).optional(),
});

const route = routeBuilder(['devices']);
const routes = {
  list: route(
    'get',
    '/',
    'List devices (clients: their own)',
    pagedList(ListQuery, Device, 'A page of devices'),
  ),
  create: route('post', '/', 'Create a device', {
    request: jsonBody(CreateDevice),
    responses: { 201: json(Device, 'Created'), ...errors(400, 401, 403, 422) },
  }),
  get: route('get', '/{id}', 'Get a device', {
    request: { params: IdParam },
    responses: { 200: json(Device, 'The device'), ...errors(400, 401, 403, 404) },
  }),
  update: route('patch', '/{id}', 'Update a device (ownerId: null unassigns it)', {
    request: { params: IdParam, ...jsonBody(UpdateDevice) },
    responses: { 200: json(Device, 'Updated'), ...errors(400, 401, 403, 404, 409, 422) },
  }),
  remove: route('delete', '/{id}', 'Delete a device and its data', {
    request: { params: IdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(400, 401, 403, 404) },
  }),
};

async function assertClientOwner(deps: AppDeps, ownerId: string | null | undefined) {
  if (!ownerId) return;
  const owner = await findUser(deps.sql, ownerId);
  if (!owner)
    throw new ApiError('unprocessable', 'ownerId does not name an existing user', [
      { path: 'ownerId', message: 'unknown user' },
    ]);
}

export function deviceRoutes(deps: AppDeps) {
  const app = newRouter();
  const { sql } = deps;

  const lists = new DeviceListCache(sql, deps.accessChanges, deps.deviceListCache);
  app.openapi(routes.list, async (c) => {
    const user = requireUser(c);
    const q = c.req.valid('query');
    const body = await lists.page(
      user.role === 'admin'
        ? { ...q, unassigned: q.unassigned === 'true' }
        : { limit: q.limit, offset: q.offset, q: q.q, ownerId: user.id },
    );
    return sendJsonText(c, body, 200);
  });

  /** The audit entry of a device change, written in that change's transaction. */
  const audit =
    (
      c: Parameters<typeof changedBy>[0],
      me: { id: string; username: string },
      action: 'device.create' | 'device.update' | 'device.delete',
      details: Record<string, unknown> = {},
    ): Within =>
    (tx, id) =>
      recordChange(tx, changedBy(c, me, deps.trustedProxies), action, 'device', id, details);

  app.openapi(routes.create, async (c) => {
    const me = requireAdmin(c);
    const body = c.req.valid('json');
    const meterKind = body.meterKind ?? (body.mqttFormat ? 'cumulative' : 'interval');
    assertMqttFields({ ...body, meterKind });
    await assertClientOwner(deps, body.ownerId);
    const device = await insertDevice(
      sql,
      {
        id: randomUUID(),
        name: body.name,
        description: body.description,
        address: body.address,
        maxHourlyKwh: body.maxHourlyKwh,
        meterKind,
        timeZone: body.timeZone ?? canonicalTimeZone(deps.defaultTimeZone) ?? deps.defaultTimeZone,
        ownerId: body.ownerId,
        mqttTopic: body.mqttTopic,
        mqttFormat: body.mqttFormat,
        tariff: body.tariff ?? null,
        silentAfterMinutes: body.silentAfterMinutes,
      },
      audit(c, me, 'device.create', { name: body.name }),
    ).catch(conflictOnTopic);
    await announceAccessChange(deps, { deviceRows: [device.id] });
    publishDeviceUpdated(deps, device, null);
    return c.json(toDevice(device), 201);
  });

  app.openapi(routes.get, async (c) => {
    const user = requireUser(c);
    return c.json(toDevice(await visibleDevice(sql, user, c.req.valid('param').id)), 200);
  });

  app.openapi(routes.update, async (c) => {
    const me = requireAdmin(c);
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    await assertClientOwner(deps, body.ownerId);
    const { before, device } = await updateDevice(
      sql,
      id,
      body,
      audit(c, me, 'device.update', { fields: Object.keys(body).sort() }),
    );
    // Committed: cached lists go now, even if the control message below cannot be queued (503).
    await announceAccessChange(deps, { deviceRows: [id] });
    // Configuration that decides how readings count travels in shard order (changes.ts);
    // always re-sent when given, so a PATCH retried after a 503 still reaches the actor.
    if (isConfigChange(body)) {
      await sendControl(deps, [configureControl(device)]);
    } else if (before.ownerId !== device.ownerId || before.name !== device.name) {
      await sendControl(deps, [{ deviceId: id, op: 'reload' }]);
    }
    publishDeviceUpdated(deps, device, before.ownerId);
    return c.json(toDevice(device), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const me = requireAdmin(c);
    const { id } = c.req.valid('param');
    const removed = await deleteDevice(sql, id, audit(c, me, 'device.delete'));
    if (!removed) throw notFound('Device');
    // Every api node refuses the device's readings from now on (API.md: within 2 s).
    await (deps.deviceInvalidations ?? processDeviceInvalidations)
      .publish(id)
      .catch((err) => deps.log.warn({ err, deviceId: id }, 'device invalidation not published'));
    // Its ingest tokens went with it (cascade): no node may keep accepting them from its cache.
    await announceAccessChange(deps, { devices: [id] });
    await sendControl(deps, [{ deviceId: id, op: 'deleted' }]);
    publishDeviceDeleted(deps, id, removed.ownerId);
    return c.body(null, 204);
  });

  return app;
}
