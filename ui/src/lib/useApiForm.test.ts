import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/http.ts';
import { useApiForm } from './useApiForm.ts';

const fail = (e: unknown) => async () => {
  throw e;
};

describe('useApiForm', () => {
  it("puts the form's own words on the errors it explains, and the server's on the rest", async () => {
    const form = useApiForm({
      explain: (e) => (e.status === 401 ? 'That username and password do not match.' : undefined),
    });
    expect(await form.run(fail(new ApiError(401, 'unauthorized', 'Invalid credentials')))).toBe(false);
    expect([form.message.value, form.busy.value]).toEqual([
      'That username and password do not match.',
      false,
    ]);
    await form.run(fail(new ApiError(503, 'unavailable', 'Database is not answering')));
    expect(form.message.value).toBe('Database is not answering');
    await form.run(fail(new TypeError('Failed to fetch')));
    expect(form.message.value).toBe('Failed to fetch');
    expect(await form.run(async () => {})).toBe(true);
    expect(form.message.value).toBeNull();
  });

  it('keeps the conflict message for a 409 the explanation leaves alone', async () => {
    const form = useApiForm({ conflictMessage: 'That username is already taken.', explain: () => undefined });
    await form.run(fail(new ApiError(409, 'conflict', 'duplicate key')));
    expect(form.message.value).toBe('That username is already taken.');
  });
});
