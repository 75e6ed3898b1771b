/**
 * A commit whose promise never settles (postgres.js after a database restart)
 * must not hold the group committer for ever: it fails at the deadline, the
 * jobs are committed again on their own, and later commits still run.
 */
import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit.ts';
import { type CommitItem, emptyBatch } from './store.ts';

describe('GroupCommitter deadline', () => {
  it('fails a commit that never settles and keeps committing afterwards', async () => {
    let hang = true;
    const committed: number[] = [];
    const store = {
      loadMany: async () => new Map(),
      fence: async () => {},
      commit: async (shard: number) => {
        if (hang) return new Promise<never>(() => {});
        committed.push(shard);
        return [];
      },
      commitMany: async (items: CommitItem[]) => {
        if (hang) return new Promise<never>(() => {});
        committed.push(...items.map((i) => i.shard));
        return items.map(() => []);
      },
    };
    const committer = new GroupCommitter(store as never, { maxInFlight: 1, commitDeadlineMs: 100 });
    const first = committer.commit(1, 1, emptyBatch());
    await expect(first).rejects.toThrow(/did not settle/);
    hang = false;
    await committer.commit(2, 1, emptyBatch());
    expect(committed).toEqual([2]);
  });
});
