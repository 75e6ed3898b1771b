import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { h, reactive } from 'vue';
import type { List, User } from '../../../api/contract.ts';
import { ApiError } from '../api/http.ts';
import { type PageQuery, usePagedList } from '../lib/usePagedList.ts';
import { aUser } from '../test-data.ts';
import PagedTable from './PagedTable.vue';

afterEach(() => vi.useRealTimers());

const people = Array.from({ length: 45 }, (_, i) => aUser({ username: `user${i}` }));

function listOf(load: (q: PageQuery) => Promise<List<User>>) {
  return reactive(usePagedList<User>(load, 20));
}
const fromPeople = vi.fn(async (q: PageQuery) => ({
  items: people.slice(q.offset, q.offset + q.limit),
  total: people.length,
}));

function mountTable(list: ReturnType<typeof listOf>) {
  return mount(PagedTable<User>, {
    props: {
      name: 'users',
      columns: [{ label: 'Username' }, { label: 'Actions', hidden: true }],
      list,
      searchLabel: 'Search users',
      searchPlaceholder: 'Search',
      emptyTitle: 'No users yet',
      emptyText: 'Create one.',
      rowAttrs: (u: User) => ({ 'data-user': u.username }),
    },
    slots: { row: ({ item }: { item: User }) => [h('td', item.username), h('td', 'edit')] },
  });
}

describe('PagedTable', () => {
  it('shows the page, where it is in the total, and pages on', async () => {
    const list = listOf(fromPeople);
    await list.fetchPage();
    await list.goToPage(1);
    const wrapper = mountTable(list);
    expect(wrapper.get('[data-testid=users-count]').text()).toBe('21–40 of 45');
    expect(wrapper.findAll('tbody tr')).toHaveLength(20);
    expect(wrapper.get('tbody tr').attributes('data-user')).toBe('user20');
    expect(wrapper.findAll('th').map((th) => th.text())).toEqual(['Username', 'Actions']);
    expect(wrapper.get('th:last-child span').classes()).toContain('sr-only');
    expect(wrapper.text()).toContain('Page 2 of 3');

    await wrapper.get('nav button:last-child').trigger('click');
    await flushPromises();
    expect(fromPeople).toHaveBeenLastCalledWith({ q: undefined, limit: 20, offset: 40 });
    expect(wrapper.get('[data-testid=users-count]').text()).toBe('41–45 of 45');
    expect(wrapper.get('nav button:last-child').attributes('disabled')).toBeDefined();
  });

  it('searches from the first page once typing pauses', async () => {
    vi.useFakeTimers();
    const load = vi.fn(async (_q: PageQuery) => ({ items: [people[3]!], total: 1 }));
    const list = listOf(load);
    list.page = 2;
    const wrapper = mountTable(list);
    const input = wrapper.get('input[type=search]');
    await input.setValue('us');
    await input.setValue('user3');
    expect(load).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(250);
    expect(load).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenCalledWith({ q: 'user3', limit: 20, offset: 0 });
    expect(wrapper.get('[data-testid=users-count]').text()).toBe('1–1 of 1');
  });

  it('offers a retry when the page cannot load', async () => {
    const load = vi
      .fn<(q: PageQuery) => Promise<List<User>>>()
      .mockRejectedValueOnce(new ApiError(503, 'unavailable', 'Database is not answering'))
      .mockResolvedValueOnce({ items: [], total: 0 });
    const list = listOf(load);
    await list.fetchPage();
    const wrapper = mountTable(list);
    expect(wrapper.get('[role=alert]').text()).toContain('Database is not answering');
    await wrapper.get('[role=alert] button').trigger('click');
    await flushPromises();
    expect(load).toHaveBeenCalledTimes(2);
    expect(wrapper.text()).toContain('No users yet');
  });
});
