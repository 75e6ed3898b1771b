import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage, Conversation, User } from '../../../api/contract.ts';
import { aMessage, aUser } from '../test-data.ts';
import { apiError, fakeFetch } from '../test-fetch.ts';
import { useChat } from './chat.ts';
import { useSession } from './session.ts';

// No socket is connected in these tests, so the store uses its REST fallbacks.
afterEach(() => vi.unstubAllGlobals());

let admin: User;
let client: User;
beforeEach(() => {
  setActivePinia(createPinia());
  admin = aUser({ username: 'root', name: 'Root', role: 'admin' });
  client = aUser({ username: 'ada', name: 'Ada' });
});

function signIn(user: User): void {
  // Reading a visible conversation sends a receipt; accept it wherever a test does not care.
  fakeFetch({ 'POST /api/chat/conversations/:id/read': () => ({ status: 204 }) });
  useSession().user = user;
  useSession().token = 't';
}

function conversation(c: User, unread = 0, lastMessage: ChatMessage | null = null): Conversation {
  return { id: c.id, client: { id: c.id, username: c.username, name: c.name }, lastMessage, unread };
}

/** A message in the client's conversation, written by `author`. */
function messageFrom(author: () => User, name: string) {
  return (body: string, at: string) => {
    const { id, role } = author();
    return aMessage({ conversationId: client.id, body, createdAt: at, sender: { id, role, name } });
  };
}
const fromClient = messageFrom(() => client, 'Ada');
const fromAdmin = messageFrom(() => admin, 'Root');

describe('chat store (admin inbox)', () => {
  it('opens a conversation oldest first and marks the client messages read', async () => {
    signIn(admin);
    const m1 = fromClient('Hi', '2026-07-01T10:00:00Z');
    const m2 = fromClient('My bill is high', '2026-07-01T10:01:00Z');
    const fake = fakeFetch({
      'GET /api/chat/conversations': () => ({ body: { items: [conversation(client, 2, m2)], total: 1 } }),
      'GET /api/chat/conversations/:id/messages': () => ({ body: { items: [m2, m1], total: 2 } }),
      'POST /api/chat/conversations/:id/read': () => ({ status: 204 }),
    });
    const chat = useChat();
    await chat.fetchConversations();
    expect(chat.totalUnread).toBe(2);
    await chat.open(client.id);
    expect(chat.active.map((m) => m.body)).toEqual(['Hi', 'My bill is high']);
    expect(fake.last(`POST /api/chat/conversations/${client.id}/read`)?.body).toEqual({ upTo: m2.id });
    expect(chat.totalUnread).toBe(0);
    expect(chat.active.every((m) => m.readAt !== null)).toBe(true);
  });

  it('counts a message in a conversation that is not open as unread, once', () => {
    signIn(admin);
    const chat = useChat();
    chat.conversations = [conversation(client)];
    const m = fromClient('Anyone there?', '2026-07-01T10:00:00Z');
    chat.receive(m);
    chat.receive(m); // the ack and the broadcast both deliver it
    expect(chat.conversations[0]?.unread).toBe(1);
    expect(chat.conversations[0]?.lastMessage?.body).toBe('Anyone there?');
  });

  it('shows "seen" on our last message the client read', () => {
    signIn(admin);
    const chat = useChat();
    chat.conversations = [conversation(client)];
    chat.activeId = client.id;
    const a1 = fromAdmin('Let me check', '2026-07-01T10:00:00Z');
    const a2 = fromAdmin('Your heat pump ran all night', '2026-07-01T10:02:00Z');
    chat.receive(a1);
    chat.receive(a2);
    expect(chat.lastSeenId).toBeNull();
    chat.receiveRead({ conversationId: client.id, userId: client.id, upTo: a1.id });
    expect(chat.lastSeenId).toBe(a1.id);
    chat.receiveRead({ conversationId: client.id, userId: client.id, upTo: a2.id });
    expect(chat.lastSeenId).toBe(a2.id);
  });

  it('shows who is typing, but never ourselves, and clears it when their message lands', () => {
    signIn(admin);
    const chat = useChat();
    chat.conversations = [conversation(client)];
    chat.activeId = client.id;
    chat.receiveTyping({ conversationId: client.id, userId: admin.id, role: 'admin', typing: true });
    expect(chat.activeTypists).toEqual([]);
    chat.receiveTyping({ conversationId: client.id, userId: client.id, role: 'client', typing: true });
    expect(chat.activeTypists).toEqual([{ userId: client.id, role: 'client' }]);
    chat.receive(fromClient('Done typing', '2026-07-01T10:00:00Z'));
    expect(chat.activeTypists).toEqual([]);
  });
});

describe('chat store (client)', () => {
  it('sends over REST when the socket is down and asks the assistant when toggled', async () => {
    signIn(client);
    const reply = aMessage({ conversationId: client.id, body: 'How much today?' });
    const fake = fakeFetch({
      'GET /api/chat/conversations/:id/messages': () => ({ body: { items: [], total: 0 } }),
      'POST /api/chat/conversations/:id/messages': () => ({ status: 201, body: reply }),
    });
    const chat = useChat();
    await chat.open(client.id);
    await chat.send('  How much today?  ', true);
    expect(fake.last(`POST /api/chat/conversations/${client.id}/messages`)?.body).toEqual({
      body: 'How much today?',
      toAssistant: true,
    });
    expect(chat.active.map((m) => m.id)).toEqual([reply.id]);
    expect(chat.isOurs(reply)).toBe(true);
  });

  it('keeps a failed message out of the thread and says why', async () => {
    signIn(client);
    fakeFetch({
      'GET /api/chat/conversations/:id/messages': () => ({ body: { items: [], total: 0 } }),
      'POST /api/chat/conversations/:id/messages': () => apiError(429, 'too_many_requests', 'Slow down'),
    });
    const chat = useChat();
    await chat.open(client.id);
    await expect(chat.send('hello')).resolves.toBeNull();
    expect(chat.sendError).toBe('Not sent: Slow down');
    expect(chat.active).toEqual([]);
  });

  it('counts unread answers from support until the client reads them', () => {
    signIn(client);
    const chat = useChat();
    chat.receive(fromAdmin('We are looking into it', '2026-07-01T10:00:00Z'));
    expect(chat.totalUnread).toBe(1);
  });
});

describe('chat history paging', () => {
  it('offers earlier messages when a full page came back and puts them in front', async () => {
    signIn(client);
    const page = Array.from({ length: 50 }, (_, i) =>
      fromClient(`m${i + 50}`, new Date(Date.parse('2026-07-02T00:00:00Z') + i * 60_000).toISOString()),
    );
    const older = [fromAdmin('m49', '2026-07-01T23:00:00Z')];
    const fake = fakeFetch({
      'GET /api/chat/conversations/:id/messages': (call) =>
        call.query.get('before')
          ? { body: { items: older, total: 51 } }
          : { body: { items: page, total: 51 } },
      'POST /api/chat/conversations/:id/read': () => ({ status: 204 }),
    });
    const chat = useChat();
    await chat.open(client.id);
    expect(chat.activeHasOlder).toBe(true);
    await chat.loadOlder();
    expect(fake.last(`GET /api/chat/conversations/${client.id}/messages`)?.query.get('before')).toBe(
      page[0]!.id,
    );
    expect(chat.active[0]?.body).toBe('m49');
    expect(chat.active).toHaveLength(51);
    expect(chat.activeHasOlder).toBe(false);
  });
});

describe('asking the assistant', () => {
  it('says the assistant is thinking until its reply arrives', async () => {
    signIn(client);
    const question = aMessage({ conversationId: client.id, body: 'How much today?' });
    fakeFetch({
      'GET /api/chat/conversations/:id/messages': () => ({ body: { items: [], total: 0 } }),
      'POST /api/chat/conversations/:id/messages': () => ({ status: 201, body: question }),
      'POST /api/chat/conversations/:id/read': () => ({ status: 204 }),
    });
    const chat = useChat();
    await chat.open(client.id);
    await chat.send('How much today?', true);
    expect(chat.activeAwaitsAssistant).toBe(true);
    chat.receive(
      aMessage({
        conversationId: client.id,
        body: '4.2 kWh so far.',
        sender: { id: null, role: 'assistant', name: 'Assistant' },
        createdAt: '2026-07-01T10:00:05Z',
      }),
    );
    expect(chat.activeAwaitsAssistant).toBe(false);
  });

  it('does not wait for the assistant when the question went to the team', async () => {
    signIn(client);
    fakeFetch({
      'GET /api/chat/conversations/:id/messages': () => ({ body: { items: [], total: 0 } }),
      'POST /api/chat/conversations/:id/messages': () => ({
        status: 201,
        body: aMessage({ conversationId: client.id }),
      }),
    });
    const chat = useChat();
    await chat.open(client.id);
    await chat.send('Hello team');
    expect(chat.activeAwaitsAssistant).toBe(false);
  });
});

describe('after a reconnect', () => {
  it("reloads a client's conversation even when Support is not open, so the badge is right", async () => {
    signIn(client);
    const missed = fromAdmin('Are you there?', '2026-07-01T10:00:00Z');
    fakeFetch({
      'GET /api/chat/conversations/:id/messages': () => ({ body: { items: [missed], total: 1 } }),
    });
    const chat = useChat();
    await chat.refreshActive();
    expect(chat.totalUnread).toBe(1);
  });
});
