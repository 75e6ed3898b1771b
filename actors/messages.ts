/**
 * What travels on a shard queue: the payload of one job. Readings are packed
 * as tuples to keep Redis and JSON work small on the hot path; control
 * messages carry device changes, ordered with the readings of the same shard
 * (invariant 7: a configuration change applies to the readings queued after
 * it, never to those queued before).
 */

/** [deviceId, timestamp (epoch ms), value] */
export type ReadingTuple = [string, number, number];

/** The configuration that decides how a device's readings count. */
export interface CountingConfig {
  maxHourlyKwh: number;
  timeZone: string;
  meterKind: 'interval' | 'cumulative';
  /** devices.config_version of this configuration; an older one never overrides a newer. */
  version: number;
}

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
