/**
 * Runtime-node membership in Redis: one sorted set of nodeId → expiry, written
 * and read against the Redis clock (see heartbeat-node.lua, live-nodes.lua) so
 * nodes whose clocks disagree still agree on who is live.
 */

import type { Membership } from '../types.ts';
import type { RedisClient } from './connect.ts';
import type { RedisKeys } from './keys.ts';
import type { RuntimeScripts } from './scripts.ts';

export class RedisMembership implements Membership {
  constructor(
    private readonly redis: RedisClient & RuntimeScripts,
    private readonly keys: RedisKeys,
  ) {}

  async heartbeat(nodeId: string, ttlMs: number): Promise<void> {
    await this.redis.heartbeatNode(this.keys.nodes, nodeId, ttlMs);
  }

  async leave(nodeId: string): Promise<void> {
    await this.redis.zrem(this.keys.nodes, nodeId);
  }

  async liveNodes(): Promise<string[]> {
    return (await this.redis.liveNodes(this.keys.nodes)).sort();
  }
}
