/**
 * The administrators' user list: server-side search and paging (GET /api/users
 * ?q=&limit=&offset=), plus create, edit and delete that keep the visible page
 * consistent without a full reload.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { User } from '../../../api/contract.ts';
import { type NewUser, type UserPatch, usersApi } from '../api/client.ts';
import { messageOf } from '../api/http.ts';

export const useUsers = defineStore('users', () => {
  const items = ref<User[]>([]);
  const total = ref(0);
  const search = ref('');
  const page = ref(0);
  const pageSize = ref(20);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  /** Cache for names shown elsewhere (device owners, chat). */
  const byId = ref<Record<string, User>>({});

  const pageCount = computed(() => Math.max(1, Math.ceil(total.value / pageSize.value)));
  let latest = 0;

  function remember(list: User[]): void {
    const next = { ...byId.value };
    for (const u of list) next[u.id] = u;
    byId.value = next;
  }

  async function fetchPage(): Promise<void> {
    const ticket = ++latest;
    loading.value = true;
    error.value = null;
    try {
      const answer = await usersApi.list({
        q: search.value.trim() || undefined,
        limit: pageSize.value,
        offset: page.value * pageSize.value,
      });
      // A slower earlier search must not overwrite the answer to what is typed now.
      if (ticket !== latest) return;
      items.value = answer.items;
      total.value = answer.total;
      loaded.value = true;
      remember(answer.items);
    } catch (e) {
      if (ticket === latest) error.value = messageOf(e);
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  async function setSearch(q: string): Promise<void> {
    search.value = q;
    page.value = 0;
    await fetchPage();
  }

  async function goToPage(n: number): Promise<void> {
    page.value = Math.min(Math.max(0, n), pageCount.value - 1);
    await fetchPage();
  }

  /** Every client, for owner pickers (clients are few compared to readings). */
  async function fetchClients(): Promise<User[]> {
    const answer = await usersApi.list({ role: 'client', limit: 500 });
    remember(answer.items);
    return answer.items;
  }

  async function get(id: string): Promise<User> {
    const user = await usersApi.get(id);
    remember([user]);
    return user;
  }

  async function create(input: NewUser): Promise<User> {
    const user = await usersApi.create(input);
    remember([user]);
    await fetchPage();
    return user;
  }

  async function update(id: string, patch: UserPatch): Promise<User> {
    const user = await usersApi.update(id, patch);
    remember([user]);
    items.value = items.value.map((u) => (u.id === id ? user : u));
    return user;
  }

  async function remove(id: string): Promise<void> {
    await usersApi.remove(id);
    const { [id]: _gone, ...rest } = byId.value;
    byId.value = rest;
    items.value = items.value.filter((u) => u.id !== id);
    total.value = Math.max(0, total.value - 1);
    // Deleting the last row of a page should not leave an empty page on screen.
    if (items.value.length === 0 && page.value > 0) await goToPage(page.value - 1);
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
    byId,
    fetchPage,
    setSearch,
    goToPage,
    fetchClients,
    get,
    create,
    update,
    remove,
  };
});
