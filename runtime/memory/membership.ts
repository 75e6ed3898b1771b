/**
 * In-memory membership for the single-process mode and tests: node ids with
 * an expiry on the local monotonic clock, the same contract as the Redis
 * sorted set of heartbeats.
 */
import type { Membership } from '../types.ts';

export class MemoryMembership implements Membership {
  readonly #expiries = new Map<string, number>();

  async heartbeat(nodeId: string, ttlMs: number): Promise<void> {
    this.#expiries.set(nodeId, performance.now() + ttlMs);
  }

  async leave(nodeId: string): Promise<void> {
    this.#expiries.delete(nodeId);
  }

  async liveNodes(): Promise<string[]> {
    const now = performance.now();
    const live: string[] = [];
    for (const [nodeId, expiresAt] of this.#expiries) {
      if (expiresAt > now) live.push(nodeId);
      else this.#expiries.delete(nodeId);
    }
    return live.sort();
  }
}
