/**
 * The group committer on the in-memory store, with every store call held
 * until the test lets it go: jobs that arrive while a commit is in flight
 * share the next transaction, a shared commit that fails is retried job by
 * job so only the bad job fails (each job still exactly once), and no more
 * than `maxInFlight` commits run at once.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { type GroupCommitOptions, GroupCommitter } from './group-commit.ts';
import { MemoryDeviceStore } from './memory-store.ts';
import {
  type CommitItem,
  DuplicateReadingError,
  emptyBatch,
  FencedError,
  type NewAlert,
  type ShardBatch,
} from './store.ts';
import { addReading, deviceConfig } from './testing.ts';

const HOUR = Date.parse('2026-03-10T10:00:00Z');

/** A memory store whose commits wait until released, recording which shards each call carried. */
class HeldStore extends MemoryDeviceStore {
  readonly calls: Array<{ method: 'commit' | 'commitMany'; shards: number[] }> = [];
  readonly waiting: Array<() => void> = [];
  hold = true;
  inFlight = 0;
  maxInFlight = 0;

  override async commit(shard: number, epoch: number, batch: ShardBatch): Promise<NewAlert[]> {
    this.calls.push({ method: 'commit', shards: [shard] });
    await this.#held();
    return (await super.commitMany([{ shard, epoch, batch }]))[0]!;
  }

  override async commitMany(items: CommitItem[]): Promise<NewAlert[][]> {
    this.calls.push({ method: 'commitMany', shards: items.map((i) => i.shard) });
    await this.#held();
    return super.commitMany(items);
  }

  releaseAll() {
    for (const release of this.waiting.splice(0)) release();
  }

  async #held() {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hold) await new Promise<void>((resolve) => this.waiting.push(resolve));
    } finally {
      this.inFlight--;
    }
  }
}

async function setup(jobs: number, options?: GroupCommitOptions) {
  const store = new HeldStore();
  const devices = Array.from({ length: jobs }, () => randomUUID());
  for (const [shard, id] of devices.entries()) {
    store.putDevice(deviceConfig({ id }));
    await store.fence(shard, 1);
  }
  return { store, devices, committer: new GroupCommitter(store, options) };
}

/** Job `shard`: one reading of its own device. */
const batchFor = (deviceId: string): ShardBatch => addReading(emptyBatch(), deviceId, HOUR + 1000, 0.5);

/** Lets held store calls go, one wave at a time, until every job has settled. */
async function drain(store: HeldStore, jobs: Array<Promise<unknown>>) {
  let settled = false;
  void Promise.allSettled(jobs).then(() => {
    settled = true;
  });
  while (!settled) {
    await vi.waitFor(() => expect(settled || store.waiting.length > 0).toBe(true));
    store.releaseAll();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return Promise.allSettled(jobs);
}

const totalsOf = async (store: MemoryDeviceStore, ids: string[]) =>
  Promise.all(ids.map(async (id) => (await store.hourTotals(id, [HOUR])).get(HOUR) ?? 0));

describe('group commit', () => {
  it('lets the jobs that arrive during an in-flight commit share the next transaction', async () => {
    const { store, devices, committer } = await setup(6, { maxInFlight: 1 });
    const first = committer.commit(0, 1, batchFor(devices[0]!));
    await vi.waitFor(() => expect(store.waiting).toHaveLength(1));
    const rest = devices.slice(1).map((id, i) => committer.commit(i + 1, 1, batchFor(id)));
    expect(store.calls).toEqual([{ method: 'commit', shards: [0] }]);

    const results = await drain(store, [first, ...rest]);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(store.calls).toEqual([
      { method: 'commit', shards: [0] },
      { method: 'commitMany', shards: [1, 2, 3, 4, 5] },
    ]);
    expect(committer.stats).toEqual({ jobs: 6, transactions: 2 });
    expect(await totalsOf(store, devices)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('retries a failed shared commit job by job, so only the bad jobs fail and the others commit once', async () => {
    const { store, devices, committer } = await setup(5, { maxInFlight: 1 });
    await store.fence(2, 2); // shard 2 moved on to a newer owner
    store.hold = false;
    await committer.commit(3, 1, batchFor(devices[3]!)); // stored already: job 3 below repeats it
    store.hold = true;
    store.calls.length = 0;

    const first = committer.commit(0, 1, batchFor(devices[0]!));
    await vi.waitFor(() => expect(store.waiting).toHaveLength(1));
    const rest = [1, 2, 3, 4].map((shard) => committer.commit(shard, 1, batchFor(devices[shard]!)));
    const results = await drain(store, [first, ...rest]);

    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(FencedError);
    expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateReadingError);
    expect(store.calls).toEqual([
      { method: 'commit', shards: [0] },
      { method: 'commitMany', shards: [1, 2, 3, 4] },
      ...[1, 2, 3, 4].map((shard) => ({ method: 'commit', shards: [shard] })),
    ]);
    expect(await totalsOf(store, devices)).toEqual([0.5, 0.5, 0, 0.5, 0.5]);
  });

  it('never has more than maxInFlight commits running', async () => {
    const { store, devices, committer } = await setup(9, { maxInFlight: 2 });
    const jobs = devices.map((id, shard) => committer.commit(shard, 1, batchFor(id)));
    await vi.waitFor(() => expect(store.waiting).toHaveLength(2));
    expect(store.calls).toEqual([
      { method: 'commit', shards: [0] },
      { method: 'commit', shards: [1] },
    ]);
    const results = await drain(store, jobs);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(store.maxInFlight).toBe(2);
    expect(committer.stats.jobs).toBe(9);
    expect(await totalsOf(store, devices)).toEqual(devices.map(() => 0.5));
  });

  it('stops adding jobs to a shared commit past maxReadings', async () => {
    const { store, devices, committer } = await setup(7, { maxInFlight: 1, maxReadings: 3 });
    const jobs = devices.map((id, shard) => committer.commit(shard, 1, batchFor(id)));
    await drain(store, jobs);
    expect(store.calls.map((c) => c.shards)).toEqual([[0], [1, 2, 3], [4, 5, 6]]);
  });
});
