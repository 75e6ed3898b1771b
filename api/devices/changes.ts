/**
 * Device changes leave the api two ways: as a control message on the device's
 * shard queue — ordered with its readings, so the actor reloads its limit,
 * owner or zone at the right point and the change survives a node restart —
 * and as `device:updated` / `device:deleted` socket events.
 */
import type { DeviceControl, ShardJobPayload } from '../../actors/messages.ts';
import { ownerRooms, userRoom } from '../../core/rooms.ts';
import { shardOf } from '../../runtime/placement.ts';
import type { AppDeps } from '../context.ts';
import type { DeviceRow } from './repo.ts';
import { toDevice } from './repo.ts';

export async function sendControl(deps: AppDeps, controls: DeviceControl[]): Promise<void> {
  const byShard = new Map<number, DeviceControl[]>();
  for (const ctl of controls) {
    const shard = shardOf(ctl.deviceId, deps.shards);
    byShard.set(shard, [...(byShard.get(shard) ?? []), ctl]);
  }
  await Promise.all(
    [...byShard].map(([shard, list]) => deps.producer.addBulk<ShardJobPayload>(shard, [{ controls: list }])),
  );
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
