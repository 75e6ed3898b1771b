import { describe, expect, it } from 'vitest';
import { type DeviceStore, emptyBatch } from '../actors/store.ts';
import { boundedStore, StoreCallTimeout } from './bounded-store.ts';

const never = () => new Promise<never>(() => {});

describe('boundedStore', () => {
  it('fails a call that never settles (a query postgres.js lost) at the deadline', async () => {
    const hanging = {
      loadMany: never,
      around: never,
      hourTotals: never,
      fence: never,
      commit: never,
      commitMany: never,
    } as unknown as DeviceStore;
    const store = boundedStore(hanging, 50);
    await expect(store.commit(1, 1, emptyBatch())).rejects.toBeInstanceOf(StoreCallTimeout);
    await expect(store.commitMany!([])).rejects.toBeInstanceOf(StoreCallTimeout);
    await expect(store.loadMany(['x'])).rejects.toBeInstanceOf(StoreCallTimeout);
  });

  it('passes answers and errors through, and keeps commitMany absent when the store has none', async () => {
    const store = boundedStore({
      loadMany: async () => new Map(),
      around: async () => [],
      hourTotals: async () => new Map(),
      fence: async () => {
        throw new Error('fenced');
      },
      commit: async () => [],
      markPublished: async () => {},
      claimUnpublished: async () => [],
      dueSilent: async () => [],
      raiseSilent: async () => [],
    });
    await expect(store.loadMany([])).resolves.toEqual(new Map());
    await expect(store.fence(1, 1)).rejects.toThrow('fenced');
    expect(store.commitMany).toBeUndefined();
  });
});
