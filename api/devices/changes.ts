/**
 * Device changes leave the api two ways: as a control message on the device's
 * shard queue — ordered with its readings, carrying the new configuration, so
 * readings queued before the change count under the old one and the change
 * survives a node restart (invariant 7) — and as `device:updated` /
 * `device:deleted` socket events.
 */
import type { DeviceControl } from '../../actors/messages.ts';
import { enqueueByShard } from '../../actors/shard-jobs.ts';
import { ownerRooms, userRoom } from '../../core/rooms.ts';
import type { AppDeps } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { DeviceRow } from './repo.ts';
import { toDevice } from './repo.ts';

/** The `configure` message for a device row as just updated. */
export function configureControl(device: DeviceRow & { configVersion: number }): DeviceControl {
  return {
    deviceId: device.id,
    op: 'configure',
    config: {
      maxHourlyKwh: device.maxHourlyKwh,
      timeZone: device.timeZone,
      meterKind: device.meterKind,
      tariff: device.tariff,
      version: device.configVersion,
      silentAfterMinutes: device.silentAfterMinutes,
    },
  };
}

export async function sendControl(deps: AppDeps, controls: DeviceControl[]): Promise<void> {
  try {
    await enqueueByShard(
      deps.producer,
      deps.shards,
      controls,
      (ctl) => ctl.deviceId,
      (list) => ({ controls: list }),
    );
  } catch (err) {
    // The row is saved but the actor has not been told: the configuration in force stays the
    // old one until the same request is sent again (it always re-sends the message).
    deps.log.error({ err }, 'control message not queued');
    throw new ApiError(
      'unavailable',
      'The change is saved but could not reach the device yet; send it again',
    );
  }
}

export function publishDeviceUpdated(deps: AppDeps, device: DeviceRow, previousOwnerId: string | null) {
  deps.events.emit(ownerRooms(device.ownerId), 'device:updated', toDevice(device));
  if (previousOwnerId && previousOwnerId !== device.ownerId) {
    deps.events.emit([userRoom(previousOwnerId)], 'device:deleted', { id: device.id });
  }
}

export function publishDeviceDeleted(deps: AppDeps, id: string, ownerId: string | null) {
  deps.events.emit(ownerRooms(ownerId), 'device:deleted', { id });
}
