/**
 * What travels on a shard queue: the payload of one job. Readings are packed
 * as tuples to keep Redis and JSON work small on the hot path; control
 * messages carry device changes, ordered with the readings of the same shard
 * (invariant 7: a configuration change applies to the readings queued after
 * it, never to those queued before).
 */

/** The shard queues EMS runs on: `readings-<shard>` (the runtime's `queueName` option). */
export const SHARD_QUEUE_NAME = 'readings';

/** [deviceId, timestamp (epoch ms), value] */
export type ReadingTuple = [string, number, number];

import type { CountingConfig } from './store.ts';

export type { CountingConfig } from './store.ts';

export interface DeviceControl {
  deviceId: string;
  /**
   * `configure`: from here on in the shard's order the device counts under `config`
   * (a zone change re-buckets its history). `reload`: name or owner changed, reload
   * them. `deleted`: the device is gone; its queued readings are dropped.
   */
  op: 'reload' | 'deleted' | 'configure';
  config?: CountingConfig;
}

export interface ShardJobPayload {
  readings?: ReadingTuple[];
  controls?: DeviceControl[];
}
