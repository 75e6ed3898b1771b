import { describe, expect, it } from 'vitest';
import { ref } from 'vue';
import { ApiError } from '../api/http.ts';
import { deferred } from '../test-fetch.ts';
import { loadInto, storeList, useRemote } from './useRemote.ts';

describe('loadInto', () => {
  it('is loading while the work runs and loaded once it succeeds', async () => {
    const state = storeList<number>();
    const answer = deferred<number[]>();
    const running = loadInto(state, async () => {
      state.items.value = await answer.promise;
    });
    expect([state.loading.value, state.loaded.value]).toEqual([true, false]);
    answer.resolve([1, 2]);
    await running;
    expect([state.loading.value, state.loaded.value, state.items.value]).toEqual([false, true, [1, 2]]);
  });

  it('keeps a failure as its message, never rejects, and clears it on the next attempt', async () => {
    const state = { loading: ref(false), loaded: ref(false), error: ref<string | null>(null) };
    await loadInto(state, async () => {
      throw new ApiError(503, 'unavailable', 'Database is not answering');
    });
    expect([state.error.value, state.loading.value, state.loaded.value]).toEqual([
      'Database is not answering',
      false,
      false,
    ]);
    const retry = deferred<void>();
    const running = loadInto(state, () => retry.promise);
    expect(state.error.value).toBeNull();
    retry.resolve();
    await running;
    expect(state.loaded.value).toBe(true);
  });
});

describe('useRemote', () => {
  it('holds the initial value until the first answer, then the answer', async () => {
    let n = 0;
    const remote = useRemote(async () => [++n], [] as number[]);
    expect(remote.data.value).toEqual([]);
    await remote.load();
    await remote.load();
    expect([remote.data.value, remote.error.value]).toEqual([[2], null]);
  });
});
