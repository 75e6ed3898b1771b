/**
 * Group commit across shards. Each shard processes one job at a time, and a
 * job is one Postgres transaction; under load the commit rate, not the CPU,
 * bounds throughput. This wrapper lets the jobs that finish while a commit is
 * in flight share the next transaction (DESIGN: "several jobs may share
 * one"): each job's effects still commit atomically, its fencing epoch is
 * still checked, and each job is acknowledged only after its COMMIT.
 *
 * If a shared commit fails (a fenced shard, a duplicate), every job in it is
 * committed again on its own, so one bad job cannot fail the others.
 */
import type { CommitItem, DeviceStore, NewAlert, ShardBatch } from './store.ts';

export interface GroupCommitOptions {
  /**
   * Shared commits in flight at once (each uses one connection). Default 2: on the
   * 2-core benchmark machine, 2 against 4 doubled the readings per transaction and
   * cut CPU per reading by about 12 % in Postgres and in the runtime
   * (`bench/commit-path.ts`), since the jobs that wait form larger groups.
   */
  maxInFlight?: number;
  /** Stop adding jobs to a shared commit past this many readings. Default 20 000. */
  maxReadings?: number;
}

interface Pending extends CommitItem {
  resolve(alerts: NewAlert[]): void;
  reject(error: unknown): void;
}

type GroupStore = DeviceStore & { commitMany(items: CommitItem[]): Promise<NewAlert[][]> };

export class GroupCommitter {
  readonly #store: GroupStore;
  readonly #maxInFlight: number;
  readonly #maxReadings: number;
  #queue: Pending[] = [];
  #inFlight = 0;
  /** Jobs and transactions so far: the ratio is the achieved grouping. */
  readonly stats = { jobs: 0, transactions: 0 };

  constructor(store: GroupStore, options: GroupCommitOptions = {}) {
    this.#store = store;
    this.#maxInFlight = options.maxInFlight ?? 2;
    this.#maxReadings = options.maxReadings ?? 20_000;
  }

  commit(shard: number, epoch: number, batch: ShardBatch): Promise<NewAlert[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ shard, epoch, batch, resolve, reject });
      this.#pump();
    });
  }

  #pump() {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const group: Pending[] = [];
      let readings = 0;
      while (this.#queue.length > 0 && (group.length === 0 || readings < this.#maxReadings)) {
        const next = this.#queue.shift()!;
        readings += next.batch.inserts.length + next.batch.updates.length;
        group.push(next);
      }
      this.#inFlight++;
      void this.#flush(group).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #flush(group: Pending[]) {
    this.stats.jobs += group.length;
    if (group.length === 1) {
      const [only] = group;
      this.stats.transactions++;
      await this.#store.commit(only!.shard, only!.epoch, only!.batch).then(only!.resolve, only!.reject);
      return;
    }
    try {
      this.stats.transactions++;
      const results = await this.#store.commitMany(group);
      for (const [i, p] of group.entries()) p.resolve(results[i] ?? []);
    } catch {
      // Isolate the failure: each job on its own, so only the bad one fails.
      await Promise.all(
        group.map((p) => {
          this.stats.transactions++;
          return this.#store.commit(p.shard, p.epoch, p.batch).then(p.resolve, p.reject);
        }),
      );
    }
  }
}
