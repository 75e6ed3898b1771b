/**
 * Shard leases in Redis: a hash {holder, epoch} per shard that expires with
 * the lease (PEXPIRE, Redis clock), and a separate per-shard counter that
 * hands out fencing epochs and survives every expiry. All three operations
 * are single Lua scripts, so check-and-set is atomic.
 */

import type { LeaseGrant, LeaseStore } from '../types.ts';
import type { RedisClient } from './connect.ts';
import type { RedisKeys } from './keys.ts';
import type { RuntimeScripts } from './scripts.ts';

export class RedisLeaseStore implements LeaseStore {
  constructor(
    private readonly redis: RedisClient & RuntimeScripts,
    private readonly keys: RedisKeys,
  ) {}

  async acquire(shard: number, holder: string, ttlMs: number): Promise<LeaseGrant | null> {
    const epoch = await this.redis.acquireLease(
      this.keys.lease(shard),
      this.keys.epoch(shard),
      holder,
      ttlMs,
    );
    return epoch > 0 ? { shard, epoch } : null;
  }

  async renew(shard: number, holder: string, epoch: number, ttlMs: number): Promise<boolean> {
    return (await this.redis.renewLease(this.keys.lease(shard), holder, epoch, ttlMs)) === 1;
  }

  async release(shard: number, holder: string, epoch: number): Promise<void> {
    await this.redis.releaseLease(this.keys.lease(shard), holder, epoch);
  }

  async holderOf(shard: number): Promise<string | null> {
    return this.redis.hget(this.keys.lease(shard), 'holder');
  }
}
