/**
 * Devices: administrators manage them; a client reads its own (another
 * client's device is a 404, never a 403, so ids do not leak). Ingest tokens
 * for a device are issued here and shown once.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { isValidTimeZone } from '../../core/time.ts';
import { DEVICE_TOKEN_PREFIX, newOpaqueToken } from '../auth/opaque-tokens.ts';
import { requireAdmin, requireUser } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { Device, listOf, MeterKind, Uuid } from '../contract.ts';
import { ApiError, notFound } from '../errors.ts';
import { bearer, errors, IdParam, json, jsonBody, newRouter, Paging } from '../router.ts';
import { findUser } from '../users/repo.ts';
import { publishDeviceDeleted, publishDeviceUpdated, sendControl } from './changes.ts';
import { assertMqttFields, conflictOnTopic, MqttFields } from './mqtt-fields.ts';
import { DEVICE_COLUMNS, type DeviceRow, findDevice, listDevices, toDevice } from './repo.ts';

const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Bucharest');
const MaxHourlyKwh = z.number().positive('must be greater than 0').max(1e9);

const DeviceFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000),
  address: z.string().max(500),
  maxHourlyKwh: MaxHourlyKwh,
  meterKind: MeterKind,
  timeZone: TimeZone,
  ownerId: Uuid.nullable(),
  ...MqttFields,
};

const CreateDevice = z
  .object({
    ...DeviceFields,
    description: DeviceFields.description.default(''),
    address: DeviceFields.address.default(''),
    // A device read from a vendor MQTT format is a cumulative meter unless told otherwise.
    meterKind: MeterKind.optional(),
    timeZone: TimeZone.optional(),
    ownerId: Uuid.nullable().default(null),
    mqttTopic: MqttFields.mqttTopic.default(null),
    mqttFormat: MqttFields.mqttFormat.default(null),
  })
  .strict()
  .openapi('CreateDevice');
const UpdateDevice = z.object(DeviceFields).partial().strict().openapi('UpdateDevice');
const ListQuery = Paging.extend({
  ownerId: Uuid.optional(),
  unassigned: z.enum(['true', 'false']).optional(),
  q: z.string().max(100).optional(),
});
const IngestToken = z.object({ id: Uuid, token: z.string() }).openapi('IngestToken');

const tags = ['devices'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/',
    tags,
    summary: 'List devices (clients: their own)',
    security: bearer,
    request: { query: ListQuery },
    responses: { 200: json(listOf(Device), 'A page of devices'), ...errors(400, 401, 403) },
  }),
  create: createRoute({
    method: 'post',
    path: '/',
    tags,
    summary: 'Create a device',
    security: bearer,
    request: jsonBody(CreateDevice),
    responses: { 201: json(Device, 'Created'), ...errors(400, 401, 403, 422) },
  }),
  get: createRoute({
    method: 'get',
    path: '/{id}',
    tags,
    summary: 'Get a device',
    security: bearer,
    request: { params: IdParam },
    responses: { 200: json(Device, 'The device'), ...errors(400, 401, 403, 404) },
  }),
  update: createRoute({
    method: 'patch',
    path: '/{id}',
    tags,
    summary: 'Update a device (ownerId: null unassigns it)',
    security: bearer,
    request: { params: IdParam, ...jsonBody(UpdateDevice) },
    responses: { 200: json(Device, 'Updated'), ...errors(400, 401, 403, 404, 422) },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/{id}',
    tags,
    summary: 'Delete a device and its data',
    security: bearer,
    request: { params: IdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(400, 401, 403, 404) },
  }),
  token: createRoute({
    method: 'post',
    path: '/{id}/tokens',
    tags,
    summary: 'Issue an ingest token for this device (shown once)',
    security: bearer,
    request: { params: IdParam },
    responses: { 201: json(IngestToken, 'The token'), ...errors(400, 401, 403, 404) },
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

/** Finds a device the caller may see: admins any, clients only their own (else 404). */
export async function visibleDevice(
  deps: AppDeps,
  user: { id: string; role: string },
  id: string,
): Promise<DeviceRow> {
  const device = await findDevice(deps.sql, id);
  if (!device || (user.role !== 'admin' && device.ownerId !== user.id)) throw notFound('Device');
  return device;
}

export function deviceRoutes(deps: AppDeps) {
  const app = newRouter();
  const { sql } = deps;

  app.openapi(routes.list, async (c) => {
    const user = requireUser(c);
    const q = c.req.valid('query');
    const page =
      user.role === 'admin'
        ? await listDevices(sql, { ...q, unassigned: q.unassigned === 'true' })
        : await listDevices(sql, { limit: q.limit, offset: q.offset, q: q.q, ownerId: user.id });
    return c.json({ items: page.items.map(toDevice), total: page.total }, 200);
  });

  app.openapi(routes.create, async (c) => {
    requireAdmin(c);
    const body = c.req.valid('json');
    const meterKind = body.meterKind ?? (body.mqttFormat ? 'cumulative' : 'interval');
    assertMqttFields({ ...body, meterKind });
    await assertClientOwner(deps, body.ownerId);
    const rows = await sql<DeviceRow[]>`insert into devices
        (id, name, description, address, max_hourly_kwh, meter_kind, time_zone, owner_id, mqtt_topic, mqtt_format)
      values (${randomUUID()}, ${body.name}, ${body.description}, ${body.address}, ${body.maxHourlyKwh},
        ${meterKind}, ${body.timeZone ?? deps.defaultTimeZone}, ${body.ownerId},
        ${body.mqttTopic}, ${body.mqttFormat})
      returning ${sql.unsafe(DEVICE_COLUMNS)}`.catch(conflictOnTopic);
    const device = rows[0]!;
    publishDeviceUpdated(deps, device, null);
    return c.json(toDevice(device), 201);
  });

  app.openapi(routes.get, async (c) => {
    const user = requireUser(c);
    return c.json(toDevice(await visibleDevice(deps, user, c.req.valid('param').id)), 200);
  });

  app.openapi(routes.update, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    await assertClientOwner(deps, body.ownerId);
    const before = await findDevice(sql, id);
    if (!before) throw notFound('Device');
    const set = (k: keyof typeof body) => body[k] !== undefined;
    assertMqttFields({
      mqttTopic: set('mqttTopic') ? (body.mqttTopic ?? null) : before.mqttTopic,
      mqttFormat: set('mqttFormat') ? (body.mqttFormat ?? null) : before.mqttFormat,
      meterKind: body.meterKind ?? before.meterKind,
    });
    const rows = await sql<DeviceRow[]>`update devices set
        name = case when ${set('name')} then ${body.name ?? ''} else name end,
        description = case when ${set('description')} then ${body.description ?? ''} else description end,
        address = case when ${set('address')} then ${body.address ?? ''} else address end,
        max_hourly_kwh = case when ${set('maxHourlyKwh')} then ${body.maxHourlyKwh ?? 1}::float8 else max_hourly_kwh end,
        meter_kind = case when ${set('meterKind')} then ${body.meterKind ?? 'interval'} else meter_kind end,
        time_zone = case when ${set('timeZone')} then ${body.timeZone ?? 'UTC'} else time_zone end,
        owner_id = case when ${set('ownerId')} then ${body.ownerId ?? null}::uuid else owner_id end,
        mqtt_topic = case when ${set('mqttTopic')} then ${body.mqttTopic ?? null}::text else mqtt_topic end,
        mqtt_format = case when ${set('mqttFormat')} then ${body.mqttFormat ?? null}::text else mqtt_format end
      where id = ${id}
      returning ${sql.unsafe(DEVICE_COLUMNS)}`.catch(conflictOnTopic);
    const device = rows[0];
    if (!device) throw notFound('Device');
    await sendControl(deps, [{ deviceId: id, op: 'reload' }]);
    publishDeviceUpdated(deps, device, before.ownerId);
    return c.json(toDevice(device), 200);
  });

  app.openapi(routes.remove, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid('param');
    const rows = await sql<
      { ownerId: string | null }[]
    >`delete from devices where id = ${id} returning owner_id as "ownerId"`;
    if (!rows[0]) throw notFound('Device');
    await sendControl(deps, [{ deviceId: id, op: 'deleted' }]);
    publishDeviceDeleted(deps, id, rows[0].ownerId);
    return c.body(null, 204);
  });

  app.openapi(routes.token, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid('param');
    if (!(await findDevice(sql, id))) throw notFound('Device');
    const { token, hash } = newOpaqueToken(DEVICE_TOKEN_PREFIX);
    const tokenId = randomUUID();
    await sql`insert into device_tokens (id, device_id, token_hash) values (${tokenId}, ${id}, ${hash})`;
    return c.json({ id: tokenId, token }, 201);
  });

  return app;
}
