/**
 * The consumer watchdog of RuntimeNode: a shard whose consumer stopped
 * consuming while jobs wait (its loop died, as BullMQ workers did after a
 * Redis outage) is noticed, reported (event, health(), error log) and
 * restarted by giving the shard up and re-acquiring it; the jobs then run.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryDrivers } from './memory/index.ts';
import { RuntimeNode } from './node.ts';
import { FAST_TIMINGS } from './testing/backends.ts';
import type { RuntimeDrivers, ShardConsumer, ShardJob } from './types.ts';

let node: RuntimeNode | undefined;
afterEach(async () => {
  await node?.stop();
  node = undefined;
});

/** Memory drivers whose first consumer of each shard in `dead` never takes a job, like a dead worker. */
function driversWithDeadConsumers(dead: Set<number>) {
  const memory = createMemoryDrivers();
  const opened = new Map<number, number>();
  const drivers: RuntimeDrivers = {
    ...memory,
    consumer: {
      poisoned: (shard, limit) => memory.consumer.poisoned(shard, limit),
      requeuePoisoned: (shard) => memory.consumer.requeuePoisoned(shard),
      open(shard, handler) {
        const n = (opened.get(shard) ?? 0) + 1;
        opened.set(shard, n);
        if (n > 1 || !dead.has(shard)) return memory.consumer.open(shard, handler);
        const openedAt = performance.now();
        const zombie: ShardConsumer = {
          close: async () => {},
          health: async () => ({
            waiting: memory.queues.pending(shard),
            busy: false,
            idleMs: performance.now() - openedAt,
            dead: false,
          }),
        };
        return zombie;
      },
    },
  };
  return { drivers, memory, opened };
}

describe('RuntimeNode watchdog', () => {
  it('restarts a consumer that does not consume while its queue has jobs', async () => {
    const { drivers, memory, opened } = driversWithDeadConsumers(new Set([1, 3]));
    const logged: string[] = [];
    const done: unknown[] = [];
    node = new RuntimeNode({
      nodeId: 'watched',
      shards: 4,
      drivers,
      timings: FAST_TIMINGS,
      watchdog: { everyMs: 200, stallMs: 600 },
      log: { info: () => {}, warn: () => {}, error: (_d, message) => logged.push(message) },
      handler: {
        onAcquired: async () => {},
        onReleased: async () => {},
        process: async (job: ShardJob) => {
          done.push(job.payload);
        },
      },
    });
    const stalled: number[] = [];
    node.on('stalled', (shard) => stalled.push(shard));
    await node.start();
    for (let shard = 0; shard < 4; shard++) await memory.producer.addBulk(shard, [`job-${shard}`]);

    await vi.waitFor(() => expect(new Set(done)).toEqual(new Set(['job-0', 'job-1', 'job-2', 'job-3'])), {
      timeout: 10_000,
      interval: 50,
    });
    expect(stalled.sort()).toEqual([1, 3]);
    expect(opened.get(1)).toBe(2);
    expect(opened.get(0)).toBe(1); // healthy consumers are left alone
    expect(node.health().consumerRestarts).toBe(2);
    expect(node.health().stalledShards).toEqual([]); // consuming again
    expect(logged.some((m) => m.includes('not consuming while jobs wait'))).toBe(true);
    expect(node.ownedShards()).toEqual([0, 1, 2, 3]);
  });

  it('leaves an idle consumer with an empty queue alone', async () => {
    const memory = createMemoryDrivers();
    node = new RuntimeNode({
      nodeId: 'idle',
      shards: 2,
      drivers: memory,
      timings: FAST_TIMINGS,
      watchdog: { everyMs: 100, stallMs: 200 },
      handler: { onAcquired: async () => {}, onReleased: async () => {}, process: async () => {} },
    });
    await node.start();
    await new Promise((r) => setTimeout(r, 800));
    expect(node.health().consumerRestarts).toBe(0);
  });
});
