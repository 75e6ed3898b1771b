/**
 * What travels on a shard queue: the payload of one job. Readings are packed
 * as tuples to keep Redis and JSON work small on the hot path; control
 * messages tell a device actor that its configuration changed (or that the
 * device is gone), ordered with the readings of the same shard.
 */

/** The shard queues EMS runs on: `readings-<shard>` (the runtime's `queueName` option). */
export const SHARD_QUEUE_NAME = 'readings';

/** [deviceId, timestamp (epoch ms), value] */
export type ReadingTuple = [string, number, number];

export interface DeviceControl {
  deviceId: string;
  op: 'reload' | 'deleted';
}

export interface ShardJobPayload {
  readings?: ReadingTuple[];
  controls?: DeviceControl[];
}
