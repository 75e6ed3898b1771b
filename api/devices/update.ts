/**
 * PATCH /api/devices/:id in one transaction. Guards invariant 7 (history is
 * never reinterpreted): the meter kind of a device with readings cannot
 * change (409), and a configuration change bumps `config_version` while
 * `applied_config` keeps the configuration the actor has reached in shard
 * order, so that readings queued before this change still count under it
 * (the actor moves on when the configure control message reaches it).
 */
import type { Sql } from '../../db/connect.ts';
import type { Tariff } from '../contract.ts';
import { ApiError, notFound } from '../errors.ts';
import { assertMqttFields, conflictOnTopic } from './mqtt-fields.ts';
import { DEVICE_COLUMNS, type DeviceRow, type Within } from './repo.ts';

export interface DeviceChanges {
  name?: string | undefined;
  description?: string | undefined;
  address?: string | undefined;
  maxHourlyKwh?: number | undefined;
  meterKind?: 'interval' | 'cumulative' | undefined;
  timeZone?: string | undefined;
  ownerId?: string | null | undefined;
  mqttTopic?: string | null | undefined;
  mqttFormat?: 'tasmota' | 'shelly' | null | undefined;
  tariff?: Tariff | null | undefined;
  silentAfterMinutes?: number | null | undefined;
}

export type VersionedDeviceRow = DeviceRow & { configVersion: number };

export async function updateDevice(
  sql: Sql,
  id: string,
  body: DeviceChanges,
  within: Within = async () => {},
): Promise<{ before: DeviceRow; device: VersionedDeviceRow }> {
  const set = (k: keyof DeviceChanges) => body[k] !== undefined;
  const configChange = isConfigChange(body);
  return (await sql.begin(async (tx) => {
    const [before] = await tx.unsafe<DeviceRow[]>(
      `select ${DEVICE_COLUMNS} from devices where id = $1 for update`,
      [id],
    );
    if (!before) throw notFound('Device');
    assertMqttFields({
      mqttTopic: set('mqttTopic') ? (body.mqttTopic ?? null) : before.mqttTopic,
      mqttFormat: set('mqttFormat') ? (body.mqttFormat ?? null) : before.mqttFormat,
      meterKind: body.meterKind ?? before.meterKind,
    });
    if (body.meterKind !== undefined && body.meterKind !== before.meterKind) {
      const [used] = await tx<{ any: boolean }[]>`
        select exists (select 1 from readings where device_id = ${id}) as any`;
      if (used?.any) {
        throw new ApiError(
          'conflict',
          `The meter kind cannot change: the device already has readings, and they would be reinterpreted as ${body.meterKind} values`,
          [
            {
              path: 'meterKind',
              message: 'immutable once the device has readings; create a new device instead',
            },
          ],
        );
      }
    }
    const rows = await tx<VersionedDeviceRow[]>`update devices set
        name = case when ${set('name')} then ${body.name ?? ''} else name end,
        description = case when ${set('description')} then ${body.description ?? ''} else description end,
        address = case when ${set('address')} then ${body.address ?? ''} else address end,
        max_hourly_kwh = case when ${set('maxHourlyKwh')} then ${body.maxHourlyKwh ?? 1}::float8 else max_hourly_kwh end,
        meter_kind = case when ${set('meterKind')} then ${body.meterKind ?? 'interval'} else meter_kind end,
        time_zone = case when ${set('timeZone')} then ${body.timeZone ?? 'UTC'} else time_zone end,
        owner_id = case when ${set('ownerId')} then ${body.ownerId ?? null}::uuid else owner_id end,
        mqtt_topic = case when ${set('mqttTopic')} then ${body.mqttTopic ?? null}::text else mqtt_topic end,
        mqtt_format = case when ${set('mqttFormat')} then ${body.mqttFormat ?? null}::text else mqtt_format end,
        tariff = case when ${set('tariff')} then ${body.tariff ? tx.json(body.tariff as never) : null}::jsonb else tariff end,
        silent_after_minutes = case when ${set('silentAfterMinutes')} then ${body.silentAfterMinutes ?? null}::int
          else silent_after_minutes end,
        applied_config = case when ${configChange} then coalesce(applied_config, jsonb_build_object(
          'maxHourlyKwh', max_hourly_kwh, 'timeZone', time_zone, 'meterKind', meter_kind, 'tariff', tariff,
          'version', config_version, 'silentAfterMinutes', silent_after_minutes))
          else applied_config end,
        config_version = config_version + case when ${configChange} then 1 else 0 end
      where id = ${id}
      returning ${sql.unsafe(DEVICE_COLUMNS)}, config_version::int as "configVersion"`.catch(conflictOnTopic);
    await within(tx, id);
    return { before, device: rows[0]! };
  })) as { before: DeviceRow; device: VersionedDeviceRow };
}

/** Fields of the counting configuration (CountingConfig): they travel in shard order. */
export function isConfigChange(body: DeviceChanges): boolean {
  return (
    body.maxHourlyKwh !== undefined ||
    body.timeZone !== undefined ||
    body.meterKind !== undefined ||
    body.tariff !== undefined ||
    body.silentAfterMinutes !== undefined
  );
}
