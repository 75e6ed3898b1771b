/**
 * One server-paged, searchable list (the administrators' users and devices):
 * the visible page, the total, the search text and the page number, and the
 * state StateBlock shows. Guards one rule for every such list: a slower,
 * earlier answer never overwrites the answer to what is asked now.
 */
import { computed, type Ref, ref, type UnwrapNestedRefs } from 'vue';
import type { List } from '../../../api/contract.ts';
import { messageOf } from '../api/http.ts';

export interface PageQuery {
  q?: string;
  limit: number;
  offset: number;
}

/** A paged list as components see it (refs unwrapped), e.g. a store's `list`. */
export type PagedList<T extends { id: string }> = UnwrapNestedRefs<ReturnType<typeof usePagedList<T>>>;

export function usePagedList<T extends { id: string }>(
  load: (query: PageQuery) => Promise<List<T>>,
  initialPageSize: number,
) {
  const items = ref([]) as Ref<T[]>;
  const total = ref(0);
  const search = ref('');
  const page = ref(0);
  const pageSize = ref(initialPageSize);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const pageCount = computed(() => Math.max(1, Math.ceil(total.value / pageSize.value)));
  let latest = 0;

  async function fetchPage(): Promise<void> {
    const ticket = ++latest;
    loading.value = true;
    error.value = null;
    try {
      const answer = await load({
        q: search.value.trim() || undefined,
        limit: pageSize.value,
        offset: page.value * pageSize.value,
      });
      if (ticket !== latest) return;
      items.value = answer.items;
      total.value = answer.total;
      loaded.value = true;
    } catch (e) {
      if (ticket === latest) error.value = messageOf(e);
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  /** Back to the first page after the question changed (search or a filter). */
  async function restart(): Promise<void> {
    page.value = 0;
    await fetchPage();
  }

  async function setSearch(q: string): Promise<void> {
    search.value = q;
    await restart();
  }

  async function goToPage(n: number): Promise<void> {
    page.value = Math.min(Math.max(0, n), pageCount.value - 1);
    await fetchPage();
  }

  /** A row changed elsewhere: show the new version in place (new rows wait for the next fetch). */
  function replace(item: T): void {
    if (items.value.some((x) => x.id === item.id))
      items.value = items.value.map((x) => (x.id === item.id ? item : x));
  }

  /** A row is gone: drop it and count it out; the last row of a page steps back a page. */
  async function drop(id: string): Promise<void> {
    if (!items.value.some((x) => x.id === id)) return;
    items.value = items.value.filter((x) => x.id !== id);
    total.value = Math.max(0, total.value - 1);
    if (items.value.length === 0 && page.value > 0) await goToPage(page.value - 1);
  }

  function reset(): void {
    latest++;
    items.value = [];
    total.value = 0;
    search.value = '';
    page.value = 0;
    loading.value = false;
    loaded.value = false;
    error.value = null;
  }

  return {
    items,
    total,
    search,
    page,
    pageSize,
    pageCount,
    loading,
    loaded,
    error,
    fetchPage,
    restart,
    setSearch,
    goToPage,
    replace,
    drop,
    reset,
  };
}
