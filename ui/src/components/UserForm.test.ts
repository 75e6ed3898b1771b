import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/http.ts';
import { aUser } from '../test-data.ts';
import UserForm from './UserForm.vue';

describe('UserForm (the form pattern: useApiForm + FormShell + FormField)', () => {
  it('sends trimmed fields, says "Saving…" while busy and is done on success', async () => {
    let release!: () => void;
    const submit = vi.fn(() => new Promise<void>((r) => (release = r)));
    const wrapper = mount(UserForm, { props: { submit } });
    await wrapper.get('#user-username').setValue('  ada ');
    await wrapper.get('#user-name').setValue('Ada Lovelace');
    await wrapper.get('#user-password').setValue('pw-123456');
    await wrapper.get('form').trigger('submit');
    expect(submit).toHaveBeenCalledWith({
      username: 'ada',
      name: 'Ada Lovelace',
      email: null,
      role: 'client',
      password: 'pw-123456',
    });
    expect(wrapper.get('button[type=submit]').text()).toBe('Saving…');
    release();
    await flushPromises();
    expect(wrapper.emitted('done')).toHaveLength(1);
    expect(wrapper.get('button[type=submit]').text()).toBe('Create user');
  });

  it("shows the server's field details beside their fields and a conflict in words", async () => {
    const submit = vi
      .fn()
      .mockRejectedValueOnce(
        new ApiError(400, 'validation_failed', 'Invalid input', [
          { path: 'email', message: 'Invalid email' },
        ]),
      )
      .mockRejectedValueOnce(new ApiError(409, 'conflict', 'Username "ada" is taken'));
    const wrapper = mount(UserForm, { props: { user: aUser(), submit } });
    expect(wrapper.get('label[for=user-password]').text()).toBe('New password');

    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('#user-email').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('#user-email + .field-error').text()).toBe('Invalid email');
    expect(wrapper.get('[role=alert]').text()).toBe('Invalid input');

    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.find('.field-error').exists()).toBe(false);
    expect(wrapper.get('[role=alert]').text()).toBe('That username is already taken.');
    expect(wrapper.emitted('done')).toBeUndefined();
  });
});
