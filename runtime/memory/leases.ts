/**
 * In-memory shard leases with fencing epochs, mirroring the Redis Lua scripts:
 * the epoch comes from a per-shard counter kept apart from the lease, so it
 * keeps increasing across expiries and every grant (even a re-grant to the
 * same holder) gets a higher epoch than any before it.
 */
import type { LeaseGrant, LeaseStore } from '../types.ts';

interface Lease {
  holder: string;
  epoch: number;
  expiresAt: number;
}

export class MemoryLeaseStore implements LeaseStore {
  readonly #leases = new Map<number, Lease>();
  readonly #epochs = new Map<number, number>();

  async acquire(shard: number, holder: string, ttlMs: number): Promise<LeaseGrant | null> {
    const current = this.#live(shard);
    if (current && current.holder !== holder) return null;
    const epoch = (this.#epochs.get(shard) ?? 0) + 1;
    this.#epochs.set(shard, epoch);
    this.#leases.set(shard, { holder, epoch, expiresAt: performance.now() + ttlMs });
    return { shard, epoch };
  }

  async renew(shard: number, holder: string, epoch: number, ttlMs: number): Promise<boolean> {
    const current = this.#live(shard);
    if (!current || current.holder !== holder || current.epoch !== epoch) return false;
    current.expiresAt = performance.now() + ttlMs;
    return true;
  }

  async release(shard: number, holder: string, epoch: number): Promise<void> {
    const current = this.#live(shard);
    if (current && current.holder === holder && current.epoch === epoch) this.#leases.delete(shard);
  }

  async holderOf(shard: number): Promise<string | null> {
    return this.#live(shard)?.holder ?? null;
  }

  #live(shard: number): Lease | undefined {
    const lease = this.#leases.get(shard);
    if (lease && lease.expiresAt <= performance.now()) {
      this.#leases.delete(shard);
      return undefined;
    }
    return lease;
  }
}
