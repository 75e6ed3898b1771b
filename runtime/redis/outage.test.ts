/**
 * A runtime node whose Redis link is cut for a few seconds (a TCP proxy in
 * front of the shared Redis; the producer writes straight to Redis, as an api
 * node on another link would). When the link returns, every shard's consumer
 * must consume again on its own: jobs added during and after the cut all get
 * processed, with no restart of the node (invariants 1 and 8).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../../faults/tcp-proxy.ts';
import { RuntimeNode } from '../node.ts';
import { deleteKeys, randomPrefix, TEST_REDIS_URL } from '../testing/backends.ts';
import type { ShardJob } from '../types.ts';
import { createRedisDrivers, type RedisDrivers } from './index.ts';

const SHARDS = 16;
const TIMINGS = {
  leaseMs: 3000,
  renewEveryMs: 500,
  heartbeatMs: 500,
  nodeTtlMs: 2000,
  rebalanceEveryMs: 500,
  jitterMs: 50,
  stopMarginMs: 1000,
};

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
  cleanup = [];
});

function drivers(url: string, prefix: string): RedisDrivers {
  const d = createRedisDrivers({
    url,
    prefix,
    queue: { lockDurationMs: 1500, stalledIntervalMs: 500, backoff: { baseMs: 10, capMs: 200 } },
  });
  cleanup.push(() => d.close());
  return d;
}

describe('a runtime node over a Redis link that is cut', () => {
  it.each([
    [5000, 'longer than a lease: shards are given up and re-acquired'],
    [1500, 'shorter than a lease: the same consumers carry on'],
  ])(
    'resumes every shard on its own after a %i ms cut (%s)',
    async (cutMs) => {
      const prefix = randomPrefix();
      cleanup.push(() => deleteKeys(`${prefix}:*`));
      const proxy: TcpProxy = await startTcpProxy('127.0.0.1', Number(new URL(TEST_REDIS_URL).port || 6379));
      cleanup.push(() => proxy.close());
      const producer = drivers(TEST_REDIS_URL, prefix).producer;
      const seen = new Set<string>();
      const node = new RuntimeNode({
        nodeId: 'blip-node',
        shards: SHARDS,
        drivers: drivers(proxy.url(TEST_REDIS_URL), prefix),
        timings: TIMINGS,
        handler: {
          onAcquired: async () => {},
          onReleased: async () => {},
          process: async (job: ShardJob) => {
            seen.add(job.payload as string);
          },
        },
      });
      node.on('error', () => {});
      cleanup.push(() => node.stop());
      await node.start();
      expect(node.ownedShards()).toHaveLength(SHARDS);

      const sent: string[] = [];
      const send = async (round: string) => {
        for (let shard = 0; shard < SHARDS; shard++) {
          const payload = `${round}-${shard}`;
          await producer.addBulk(shard, [payload]);
          sent.push(payload);
        }
      };
      await send('before');
      await vi.waitFor(() => expect(seen.size).toBe(sent.length), { timeout: 10_000, interval: 50 });

      proxy.cut(cutMs);
      await new Promise((r) => setTimeout(r, cutMs / 2));
      await send('during');
      await new Promise((r) => setTimeout(r, cutMs / 2 + 500));
      await send('after');
      await vi.waitFor(
        () => {
          const missing = sent.filter((p) => !seen.has(p));
          expect(missing, `not processed: ${missing.join(' ')}`).toEqual([]);
        },
        { timeout: 30_000, interval: 100 },
      );
      // And it keeps consuming afterwards.
      await send('later');
      await vi.waitFor(() => expect(sent.filter((p) => !seen.has(p))).toEqual([]), {
        timeout: 15_000,
        interval: 100,
      });
    },
    60_000,
  );
});
