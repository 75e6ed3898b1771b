/**
 * The one shape of "fetch something and show how it went" (what StateBlock shows): a flag
 * that is true while the fetch runs, and the message of the last failure, cleared when a new
 * attempt starts. A failed load never rejects: its error is state, shown with a retry.
 */
import { type Ref, ref } from 'vue';
import { messageOf } from '../api/http.ts';

/** A fetch as StateBlock shows it: whether it runs, how it last failed, whether it brought nothing, how to retry. */
export interface RemoteStatus {
  loading: boolean;
  error: string | null;
  empty: boolean;
  retry: () => unknown;
}

export interface LoadState {
  loading?: Ref<boolean>;
  /** Set once a load has succeeded (a store's "we have the server's list"). */
  loaded?: Ref<boolean>;
  error: Ref<string | null>;
}

/** Runs `work`, keeping `loading`, `loaded` (when given) and `error` in step with it. */
export async function loadInto(state: LoadState, work: () => Promise<void>): Promise<void> {
  if (state.loading) state.loading.value = true;
  state.error.value = null;
  try {
    await work();
    if (state.loaded) state.loaded.value = true;
  } catch (e) {
    state.error.value = messageOf(e);
  } finally {
    if (state.loading) state.loading.value = false;
  }
}

/** A value a component fetches for itself (`initial` until the first answer); `load` fetches it again. */
export function useRemote<T>(fetch: () => Promise<T>, initial: T) {
  const data = ref(initial) as Ref<T>;
  const loading = ref(false);
  const error = ref<string | null>(null);
  async function load(): Promise<void> {
    await loadInto({ loading, error }, async () => {
      data.value = await fetch();
    });
  }
  return { data, loading, error, load };
}

/** A store's list fetched whole from the server, with its load state (for `loadInto`). */
export function storeList<T>() {
  return {
    items: ref([]) as Ref<T[]>,
    loading: ref(false),
    loaded: ref(false),
    error: ref<string | null>(null),
  };
}
