/**
 * The runtime's device store with every call bounded. After a database
 * restart postgres.js can leave a query's promise unsettled for ever (its
 * connection died with the query still queued on it); inside the shard
 * processor that held a shard's job — and the group committer's in-flight
 * slots — for good, with the node otherwise healthy. A call past the deadline
 * fails like any database error: the job is retried from actors reloaded
 * from what was committed (invariant 1). Should the lost statement run after
 * all, a retried commit's identical readings make one of the two roll back
 * (the store refuses duplicate readings), so nothing counts twice (invariant 2).
 */
import type { CommitItem, DeviceStore, NewAlert, ShardBatch, SilentAlert } from '../actors/store.ts';

export class StoreCallTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`device store ${what} did not settle within ${ms} ms (database connection lost?)`);
    this.name = 'StoreCallTimeout';
  }
}

function bounded<T>(call: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreCallTimeout(what, ms)), ms);
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

/** `inner` with a deadline on every call (default 5 s: a commit under load takes well under one). */
export function boundedStore(inner: DeviceStore, ms = 5000): DeviceStore {
  const store: DeviceStore = {
    loadMany: (ids: string[]) => bounded(inner.loadMany(ids), 'loadMany', ms),
    around: (id: string, from: number, to: number) => bounded(inner.around(id, from, to), 'around', ms),
    hourTotals: (id: string, hours: number[]) => bounded(inner.hourTotals(id, hours), 'hourTotals', ms),
    fence: (shard: number, epoch: number) => bounded(inner.fence(shard, epoch), 'fence', ms),
    commit: (shard: number, epoch: number, batch: ShardBatch): Promise<NewAlert[]> =>
      bounded(inner.commit(shard, epoch, batch), 'commit', ms),
    markPublished: (ids: string[]) => bounded(inner.markPublished(ids), 'markPublished', ms),
    claimUnpublished: (olderThanMs: number, claimMs: number, limit: number) =>
      bounded(inner.claimUnpublished(olderThanMs, claimMs, limit), 'claimUnpublished', ms),
    dueSilent: (now: number, limit: number) => bounded(inner.dueSilent(now, limit), 'dueSilent', ms),
    raiseSilent: (shard: number, epoch: number, alerts: SilentAlert[]) =>
      bounded(inner.raiseSilent(shard, epoch, alerts), 'raiseSilent', ms),
  };
  if (inner.commitMany) {
    const commitMany = inner.commitMany.bind(inner);
    store.commitMany = (items: CommitItem[]) => bounded(commitMany(items), 'commitMany', ms);
  }
  return store;
}
