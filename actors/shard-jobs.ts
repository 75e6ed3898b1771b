/**
 * Putting work on the shard queues: items grouped by the shard of their
 * device (order kept within each shard, so a device's messages stay in the
 * order they were given), one job per shard, resolved once every queue holds
 * its job (durable). Readings (api/readings/enqueue.ts, the simulator's
 * `--redis` sink) and device control messages (api/devices/changes.ts) both
 * go through here.
 */
import { shardOf } from '../runtime/placement.ts';
import type { ShardQueueProducer } from '../runtime/types.ts';
import type { ShardJobPayload } from './messages.ts';

/** `items` grouped by the shard that owns `deviceOf(item)`, in the order given within each shard. */
export function groupByShard<T>(
  items: readonly T[],
  shards: number,
  deviceOf: (item: T) => string,
): Map<number, T[]> {
  const byShard = new Map<number, T[]>();
  for (const item of items) {
    const shard = shardOf(deviceOf(item), shards);
    const list = byShard.get(shard);
    if (list) list.push(item);
    else byShard.set(shard, [item]);
  }
  return byShard;
}

/**
 * One job per shard, built by `payload` from that shard's items. If it rejects,
 * some shards may already hold their job: callers resend the whole set, which
 * is safe (readings are deduplicated; control messages carry versions).
 */
export async function enqueueByShard<T>(
  producer: ShardQueueProducer,
  shards: number,
  items: readonly T[],
  deviceOf: (item: T) => string,
  payload: (items: T[]) => ShardJobPayload,
): Promise<void> {
  await Promise.all(
    [...groupByShard(items, shards, deviceOf)].map(([shard, list]) =>
      producer.addBulk<ShardJobPayload>(shard, [payload(list)]),
    ),
  );
}
