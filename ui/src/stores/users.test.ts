import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { aUser } from '../test-data.ts';
import { apiError, deferred, fakeFetch } from '../test-fetch.ts';
import { useUsers } from './users.ts';

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => vi.unstubAllGlobals());

describe('users store', () => {
  it('searches from the first page and pages with offsets', async () => {
    const fake = fakeFetch({ 'GET /api/users': () => ({ body: { items: [aUser()], total: 45 } }) });
    const users = useUsers();
    users.page = 2;
    await users.setSearch('  ada ');
    expect(fake.calls[0]?.query.get('q')).toBe('ada');
    expect(fake.calls[0]?.query.get('offset')).toBe('0');
    expect(users.pageCount).toBe(3);
    await users.goToPage(2);
    expect(fake.calls[1]?.query.get('offset')).toBe('40');
    await users.goToPage(7);
    expect(users.page).toBe(2);
  });

  it('ignores an older search answer that arrives after a newer one', async () => {
    const slow = deferred<{ body: unknown }>();
    fakeFetch({
      'GET /api/users': (call) =>
        call.query.get('q') === 'a'
          ? slow.promise
          : { body: { items: [aUser({ username: 'ada' })], total: 1 } },
    });
    const users = useUsers();
    const first = users.setSearch('a');
    await users.setSearch('ada');
    slow.resolve({ body: { items: [aUser({ username: 'alan' }), aUser({ username: 'ada' })], total: 2 } });
    await first;
    expect(users.items.map((u) => u.username)).toEqual(['ada']);
    expect(users.loading).toBe(false);
  });

  it('shows an error state when the list fails', async () => {
    fakeFetch({ 'GET /api/users': () => apiError(503, 'unavailable', 'Database is not answering') });
    const users = useUsers();
    await users.fetchPage();
    expect(users.error).toBe('Database is not answering');
    expect(users.loading).toBe(false);
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
});
