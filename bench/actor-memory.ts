/**
 * Heap per resident device actor: activates N actors through the real shard
 * processor (actor system, device actor, resident index), each fed an hour
 * of 10-minute readings, and measures the heap before and after (forced GC).
 * The store is an in-memory stand-in: persistence is not what is measured.
 */
import { randomUUID } from 'node:crypto';
import { ShardProcessor } from '../actors/shard-processor.ts';
import type { DeviceSnapshot, DeviceStore } from '../actors/store.ts';

const gc = (globalThis as { gc?: () => void }).gc;

export async function benchActorMemory(count: number) {
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
  const snapshot = (id: string): DeviceSnapshot => ({
    config: {
      id,
      name: 'Meter',
      ownerId: null,
      maxHourlyKwh: 1e6,
      meterKind: 'interval',
      timeZone: 'Europe/Bucharest',
    },
    recent: [],
    openHour: null,
    openHourAlerts: [],
  });
  const store: DeviceStore = {
    loadMany: async (ids) => new Map(ids.map((id) => [id, snapshot(id)])),
    around: async () => [],
    hourTotals: async () => new Map(),
    fence: async (_shard, epoch) => epoch,
    commit: async () => [],
    markPublished: async () => {},
    claimUnpublished: async () => [],
    dueSilent: async () => [],
    raiseSilent: async () => [],
  };
  const processor = new ShardProcessor({ shards: 1, store, events: { emit: () => {} }, idleMs: 0 });
  const ids = Array.from({ length: count }, () => randomUUID());
  gc();
  const before = process.memoryUsage().heapUsed;
  const base = Date.now() - 3 * 3_600_000;
  for (let i = 0; i < ids.length; i += 500) {
    const readings: Array<[string, number, number]> = [];
    for (const id of ids.slice(i, i + 500))
      for (let k = 0; k < 6; k++) readings.push([id, base + k * 600_000, 0.1]);
    await processor.processPayload(0, { readings }, 1);
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  const actors = processor.system.size;
  await processor.close();
  return { actors, before, after, perActor: (after - before) / count };
}
