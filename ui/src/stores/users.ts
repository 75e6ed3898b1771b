/**
 * The administrators' user list: server-side search and paging (GET /api/users
 * ?q=&limit=&offset=, through usePagedList), plus create, edit and delete that
 * keep the visible page consistent without a full reload.
 */
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { User } from '../../../api/contract.ts';
import { type NewUser, type UserPatch, usersApi } from '../api/client.ts';
import { usePagedList } from '../lib/usePagedList.ts';

export const useUsers = defineStore('users', () => {
  /** Cache for names shown elsewhere (device owners, chat). */
  const byId = ref<Record<string, User>>({});

  function remember(list: User[]): void {
    const next = { ...byId.value };
    for (const u of list) next[u.id] = u;
    byId.value = next;
  }

  const list = usePagedList<User>(async (query) => {
    const answer = await usersApi.list(query);
    remember(answer.items);
    return answer;
  }, 20);

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
    await list.fetchPage();
    return user;
  }

  async function update(id: string, patch: UserPatch): Promise<User> {
    const user = await usersApi.update(id, patch);
    remember([user]);
    list.replace(user);
    return user;
  }

  async function remove(id: string): Promise<void> {
    await usersApi.remove(id);
    const { [id]: _gone, ...rest } = byId.value;
    byId.value = rest;
    await list.drop(id);
  }

  return {
    /** The page on screen, for PagedTable; the same state is also spelled out below. */
    list: reactive(list),
    items: list.items,
    total: list.total,
    search: list.search,
    page: list.page,
    pageSize: list.pageSize,
    pageCount: list.pageCount,
    loading: list.loading,
    loaded: list.loaded,
    error: list.error,
    byId,
    fetchPage: list.fetchPage,
    setSearch: list.setSearch,
    goToPage: list.goToPage,
    fetchClients,
    get,
    create,
    update,
    remove,
  };
});
