import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { h } from 'vue';
import { ApiError } from '../api/http.ts';
import { useConfirmAction } from '../lib/useConfirmAction.ts';
import ConfirmDialog from './ConfirmDialog.vue';

describe('ConfirmDialog with useConfirmAction', () => {
  it('stays open with the error when the action fails, and closes when it succeeds', async () => {
    const remove = vi
      .fn<(name: string) => Promise<void>>()
      .mockRejectedValueOnce(new ApiError(503, 'unavailable', 'Database is not answering'))
      .mockResolvedValueOnce();
    const action = useConfirmAction(remove);
    const wrapper = mount(ConfirmDialog<string>, {
      props: { action, title: 'Delete?', confirmLabel: 'Delete device' },
      slots: { default: ({ item }: { item: string }) => h('p', `Remove ${item}`) },
    });
    expect(wrapper.find('.modal-body').exists()).toBe(false);

    action.ask('Heat pump');
    await flushPromises();
    expect(wrapper.text()).toContain('Remove Heat pump');
    await wrapper.get('.btn-danger').trigger('click');
    await flushPromises();
    expect(remove).toHaveBeenCalledWith('Heat pump');
    expect(wrapper.get('[role=alert]').text()).toBe('Database is not answering');
    expect(action.target).toBe('Heat pump');

    await wrapper.get('.btn-danger').trigger('click');
    await flushPromises();
    expect(action.target).toBeNull();
    expect(action.error).toBeNull();
    expect(wrapper.find('.modal-body').exists()).toBe(false);
  });
});
