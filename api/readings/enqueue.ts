/**
 * Validated readings → shard queue jobs. Shared by POST /api/readings and the
 * simulator's direct-to-queue mode (`ems simulate --redis`), so both put the
 * same payload on the same shard: one job per shard per batch, the readings
 * packed as `[deviceId, tsMs, value]` tuples in the order they were given (a
 * device's readings stay in order because a device lives on one shard).
 */
import type { ReadingTuple, ShardJobPayload } from '../../actors/messages.ts';
import { shardOf } from '../../runtime/placement.ts';
import type { ShardQueueProducer } from '../../runtime/types.ts';
import type { Reading } from './schema.ts';

/** Readings grouped by the shard that owns their device, order kept within each shard. */
export function groupByShard(readings: readonly Reading[], shards: number): Map<number, ReadingTuple[]> {
  const byShard = new Map<number, ReadingTuple[]>();
  for (const r of readings) {
    const shard = shardOf(r.deviceId, shards);
    const list = byShard.get(shard);
    if (list) list.push([r.deviceId, r.ts, r.value]);
    else byShard.set(shard, [[r.deviceId, r.ts, r.value]]);
  }
  return byShard;
}

/**
 * Appends one job per shard and resolves once every queue holds its job
 * (durable). If it rejects, some shards may already have their job: resending
 * the whole batch is safe because readings are deduplicated by (deviceId, ts).
 */
export async function enqueueReadings(
  producer: ShardQueueProducer,
  readings: readonly Reading[],
  shards: number,
): Promise<void> {
  await Promise.all(
    [...groupByShard(readings, shards)].map(([shard, tuples]) =>
      producer.addBulk<ShardJobPayload>(shard, [{ readings: tuples }]),
    ),
  );
}
