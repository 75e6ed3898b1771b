import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { aUser } from '../test-data.ts';
import { apiError, fakeFetch, queryOf, raceSearches } from '../test-fetch.ts';
import { useUsers } from './users.ts';

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => vi.unstubAllGlobals());

describe('users store', () => {
  it('ignores an older search answer that arrives after a newer one', async () => {
    const [alan, ada] = [aUser({ username: 'alan' }), aUser({ username: 'ada' })];
    const users = useUsers();
    await raceSearches(users, '/api/users', ['a', 'ada'], { late: [alan, ada], current: [ada] });
    expect([users.items, users.loading]).toEqual([[ada], false]);
  });

  it('searches from the first page and pages with offsets', async () => {
    const fake = fakeFetch({ 'GET /api/users': () => ({ body: { items: [aUser()], total: 45 } }) });
    const users = useUsers();
    users.page = 2;
    await users.setSearch('  ada ');
    expect(queryOf(fake.calls[0])).toMatchObject({ q: 'ada', offset: '0' });
    expect(users.pageCount).toBe(3);
    await users.goToPage(2);
    expect(queryOf(fake.calls[1])).toMatchObject({ offset: '40' });
    await users.goToPage(7);
    expect(users.page).toBe(2);
  });

  it('goes back a page when the last user on a page is deleted', async () => {
    const last = aUser({ username: 'zed' });
    const fake = fakeFetch({
      'GET /api/users': (call) =>
        call.query.get('offset') === '20'
          ? { body: { items: [last], total: 21 } }
          : { body: { items: [aUser({ username: 'ada' })], total: 20 } },
      'DELETE /api/users/:id': () => ({ status: 204 }),
    });
    const users = useUsers();
    await users.goToPage(0);
    users.total = 21;
    await users.goToPage(1);
    expect(users.items).toEqual([last]);
    await users.remove(last.id);
    expect(fake.last('DELETE /api/users/' + last.id)).toBeDefined();
    expect(users.page).toBe(0);
    expect(users.items.map((u) => u.username)).toEqual(['ada']);
  });

  it('surfaces a duplicate username as a conflict', async () => {
    fakeFetch({ 'POST /api/users': () => apiError(409, 'conflict', 'Username taken') });
    const users = useUsers();
    await expect(
      users.create({ username: 'ada', password: 'pw-123456', name: 'Ada', role: 'client' }),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('shows an error state when the list fails', async () => {
    fakeFetch({ 'GET /api/users': () => apiError(503, 'unavailable', 'Database is not answering') });
    await useUsers().fetchPage();
    expect([useUsers().error, useUsers().loading]).toEqual(['Database is not answering', false]);
  });
});
