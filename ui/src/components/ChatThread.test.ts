import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useChat } from '../stores/chat.ts';
import { useSession } from '../stores/session.ts';
import { aMessage, aUser } from '../test-data.ts';
import ChatThread from './ChatThread.vue';

beforeEach(() => setActivePinia(createPinia()));

describe('ChatThread', () => {
  it('puts our messages on our side, "Seen" under the last one read, and who is typing', () => {
    const client = aUser({ name: 'Ada' });
    const session = useSession();
    session.user = client;
    const chat = useChat();
    chat.activeId = client.id;
    const mine = (body: string, at: string, readAt: string | null) =>
      aMessage({ conversationId: client.id, body, createdAt: at, readAt });
    chat.messages = {
      [client.id]: [
        mine('First', '2026-07-01T10:00:00Z', '2026-07-01T10:01:00Z'),
        mine('Second', '2026-07-01T10:02:00Z', null),
        aMessage({
          conversationId: client.id,
          body: 'Answer',
          createdAt: '2026-07-01T10:03:00Z',
          sender: { id: null, role: 'assistant', name: 'Assistant' },
          readAt: '2026-07-01T10:03:00Z',
        }),
      ],
    };
    chat.typing = { [client.id]: [{ userId: 'admin-1', role: 'admin' }] };

    const wrapper = mount(ChatThread, { props: { title: 'EMS support', allowAssistant: true } });
    const messages = wrapper.findAll('[data-testid=message]');
    expect(messages.map((m) => m.classes('ours'))).toEqual([true, true, false]);
    expect(messages[2]?.classes()).toContain('assistant');
    expect(wrapper.findAll('[data-testid=seen]')).toHaveLength(1);
    expect(messages[0]?.find('[data-testid=seen]').exists()).toBe(true);
    expect(wrapper.get('[data-testid=typing]').text()).toContain('Support is typing');
    expect(wrapper.find('[data-testid=ask-assistant]').exists()).toBe(true);
  });

  it('shows an inviting empty state and no assistant toggle for admins', () => {
    const admin = aUser({ role: 'admin' });
    useSession().user = admin;
    useChat().activeId = 'c1';
    const wrapper = mount(ChatThread, { props: { title: 'Ada' } });
    expect(wrapper.text()).toContain('No messages yet');
    expect(wrapper.find('[data-testid=ask-assistant]').exists()).toBe(false);
  });
});
