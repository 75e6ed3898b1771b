import { describe, expect, it } from 'vitest';
import { shardOf } from '../runtime/placement.ts';
import type { ShardQueueProducer } from '../runtime/types.ts';
import type { ShardJobPayload } from './messages.ts';
import { enqueueByShard, groupByShard } from './shard-jobs.ts';

const SHARDS = 4;
const ids = [
  '2b6c1a0e-1d7b-4f5e-9c3a-000000000001',
  '2b6c1a0e-1d7b-4f5e-9c3a-000000000002',
  '2b6c1a0e-1d7b-4f5e-9c3a-000000000003',
];

describe('shard jobs', () => {
  it('group items by their device shard, keeping the given order within each shard', () => {
    const items = [0, 1, 2, 3, 4, 5].map((i) => ({ deviceId: ids[i % 3]!, n: i }));
    const groups = groupByShard(items, SHARDS, (x) => x.deviceId);
    for (const [shard, list] of groups) {
      expect(list.every((x) => shardOf(x.deviceId, SHARDS) === shard)).toBe(true);
      expect(list.map((x) => x.n)).toEqual([...list.map((x) => x.n)].sort((a, b) => a - b));
    }
    expect([...groups.values()].flat()).toHaveLength(items.length);
  });

  it('put one job per shard, built from that shard’s items', async () => {
    const added: Array<{ shard: number; jobs: ShardJobPayload[] }> = [];
    const producer: ShardQueueProducer = {
      addBulk: async <P>(shard: number, jobs: P[]) => {
        added.push({ shard, jobs: jobs as ShardJobPayload[] });
      },
    } as ShardQueueProducer;
    const controls = ids.map((deviceId) => ({ deviceId, op: 'reload' as const }));
    await enqueueByShard(
      producer,
      SHARDS,
      controls,
      (c) => c.deviceId,
      (list) => ({ controls: list }),
    );
    const shards = new Set(ids.map((id) => shardOf(id, SHARDS)));
    expect(added.map((a) => a.shard).sort()).toEqual([...shards].sort());
    expect(added.every((a) => a.jobs.length === 1)).toBe(true);
    expect(added.flatMap((a) => a.jobs[0]!.controls!.map((c) => c.deviceId)).sort()).toEqual([...ids].sort());
  });
});
