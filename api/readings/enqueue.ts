/**
 * Validated readings → shard queue jobs. Shared by POST /api/readings and the
 * simulator's direct-to-queue mode (`ems simulate --redis`), so both put the
 * same payload on the same shard: one job per shard per batch, the readings
 * packed as `[deviceId, tsMs, value]` tuples in the order they were given (a
 * device's readings stay in order because a device lives on one shard).
 */
import { enqueueByShard } from '../../actors/shard-jobs.ts';
import type { ShardQueueProducer } from '../../runtime/types.ts';
import type { Reading } from './schema.ts';

/**
 * Appends one job per shard and resolves once every queue holds its job
 * (durable). If it rejects, some shards may already have their job: resending
 * the whole batch is safe because readings are deduplicated by (deviceId, ts).
 */
export function enqueueReadings(
  producer: ShardQueueProducer,
  readings: readonly Reading[],
  shards: number,
): Promise<void> {
  return enqueueByShard(
    producer,
    shards,
    readings,
    (r) => r.deviceId,
    (list) => ({ readings: list.map((r) => [r.deviceId, r.ts, r.value]) }),
  );
}
