/**
 * Support chat. History comes over REST; sending, typing and read receipts go
 * over the socket with acknowledgements (REST when the socket is down, so a
 * message is never lost to a reconnect). Admins hold many conversations at
 * once; a client has exactly one, whose id is its own user id.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ChatMessage, Conversation, Role } from '../../../api/contract.ts';
import { chatApi } from '../api/client.ts';
import { messageOf } from '../api/http.ts';
import { ACK_TIMEOUT_MS, currentSocket, unwrapAck } from '../api/socket.ts';
import { loadInto } from '../lib/useRemote.ts';
import { useSession } from './session.ts';

export interface Typist {
  userId: string;
  role: Role;
}

const TYPING_STALE_MS = 8000;
const PAGE_SIZE = 50;
const TYPING_RESEND_MS = 2500;

function byTime(a: ChatMessage, b: ChatMessage): number {
  // Ties keep arrival order (sort is stable): the server lists a conversation in its own sequence.
  return Date.parse(a.createdAt) - Date.parse(b.createdAt);
}

export const useChat = defineStore('chat', () => {
  const conversations = ref<Conversation[]>([]);
  const messages = ref<Record<string, ChatMessage[]>>({});
  const activeId = ref<string | null>(null);
  const typing = ref<Record<string, Typist[]>>({});
  const loadingConversations = ref(false);
  const loadingMessages = ref(false);
  const error = ref<string | null>(null);
  const sendError = ref<string | null>(null);
  const sending = ref(false);
  /** Conversations whose history goes further back than what is loaded. */
  const hasOlder = ref<Record<string, boolean>>({});
  /** Conversations where a question to the assistant awaits its answer. */
  const awaitingAssistant = ref<Record<string, boolean>>({});
  const assistantTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const loadingOlder = ref(false);
  const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  let lastTypingSent = 0;

  const session = useSession();
  const myRole = computed<Role>(() => session.user?.role ?? 'client');

  /** Our side of the conversation: a client's own messages, or the support team's for admins. */
  function isOurs(message: ChatMessage): boolean {
    return myRole.value === 'client' ? message.sender.role === 'client' : message.sender.role !== 'client';
  }

  const active = computed(() => (activeId.value ? (messages.value[activeId.value] ?? []) : []));
  const activeAwaitsAssistant = computed(() =>
    activeId.value ? !!awaitingAssistant.value[activeId.value] : false,
  );
  const activeHasOlder = computed(() => (activeId.value ? (hasOlder.value[activeId.value] ?? false) : false));
  const activeTypists = computed(() => (activeId.value ? (typing.value[activeId.value] ?? []) : []));
  /** The last message of ours the other side has read: where "Seen" goes. */
  const lastSeenId = computed(
    () => [...active.value].reverse().find((m) => isOurs(m) && m.readAt)?.id ?? null,
  );
  const totalUnread = computed(() => {
    if (myRole.value === 'client') {
      const own = session.user ? (messages.value[session.user.id] ?? []) : [];
      const fromMessages = own.filter((m) => !isOurs(m) && m.readAt === null).length;
      return Math.max(fromMessages, conversations.value[0]?.unread ?? 0);
    }
    return conversations.value.reduce((sum, c) => sum + c.unread, 0);
  });
  const sortedConversations = computed(() =>
    [...conversations.value].sort((a, b) => {
      const ta = a.lastMessage ? Date.parse(a.lastMessage.createdAt) : 0;
      const tb = b.lastMessage ? Date.parse(b.lastMessage.createdAt) : 0;
      return tb - ta || a.client.name.localeCompare(b.client.name);
    }),
  );

  function put(conversationId: string, incoming: ChatMessage[]): void {
    const byId = new Map((messages.value[conversationId] ?? []).map((m) => [m.id, m]));
    for (const m of incoming) byId.set(m.id, { ...byId.get(m.id), ...m });
    messages.value = { ...messages.value, [conversationId]: [...byId.values()].sort(byTime) };
  }

  function patchConversation(id: string, change: (c: Conversation) => Conversation): void {
    conversations.value = conversations.value.map((c) => (c.id === id ? change(c) : c));
  }

  async function fetchConversations(): Promise<void> {
    await loadInto({ loading: loadingConversations, error }, async () => {
      conversations.value = (await chatApi.conversations()).items;
    });
  }

  async function loadMessages(conversationId: string): Promise<void> {
    await loadInto({ loading: loadingMessages, error }, async () => {
      const answer = await chatApi.messages(conversationId, { limit: PAGE_SIZE });
      put(conversationId, answer.items);
      if (hasOlder.value[conversationId] === undefined) {
        hasOlder.value = { ...hasOlder.value, [conversationId]: answer.items.length === PAGE_SIZE };
      }
    });
  }

  /** The page of history before the oldest message loaded. */
  async function loadOlder(conversationId: string | null = activeId.value): Promise<void> {
    const oldest = conversationId ? messages.value[conversationId]?.[0] : undefined;
    if (!conversationId || !oldest || loadingOlder.value) return;
    loadingOlder.value = true;
    try {
      const answer = await chatApi.messages(conversationId, { before: oldest.id, limit: PAGE_SIZE });
      // Older pages go in front: keep the server's order for equal timestamps.
      const existing = messages.value[conversationId] ?? [];
      const known = new Set(existing.map((m) => m.id));
      messages.value = {
        ...messages.value,
        [conversationId]: [...answer.items.filter((m) => !known.has(m.id)), ...existing],
      };
      hasOlder.value = { ...hasOlder.value, [conversationId]: answer.items.length === PAGE_SIZE };
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      loadingOlder.value = false;
    }
  }

  async function open(conversationId: string): Promise<void> {
    activeId.value = conversationId;
    sendError.value = null;
    await loadMessages(conversationId);
    await markRead(conversationId);
  }

  function close(): void {
    if (activeId.value) void setTyping(false);
    activeId.value = null;
  }

  async function send(body: string, toAssistant = false): Promise<ChatMessage | null> {
    const conversationId = activeId.value;
    const text = body.trim();
    if (!conversationId || !text) return null;
    sending.value = true;
    sendError.value = null;
    lastTypingSent = 0;
    try {
      const socket = currentSocket();
      let message: ChatMessage;
      if (socket) {
        const reply = await socket
          .timeout(ACK_TIMEOUT_MS)
          .emitWithAck('chat:send', { conversationId, body: text, toAssistant });
        message = unwrapAck(reply).message;
      } else {
        message = await chatApi.send(conversationId, text, toAssistant);
      }
      receive(message);
      // The reply can beat our own ack over the socket; only wait if it has not come yet.
      const answered = (messages.value[conversationId] ?? []).some(
        (m) => m.sender.role === 'assistant' && byTime(m, message) >= 0 && m.id !== message.id,
      );
      if (toAssistant && !answered) expectAssistant(conversationId);
      return message;
    } catch (e) {
      sendError.value = `Not sent: ${messageOf(e)}`;
      return null;
    } finally {
      sending.value = false;
    }
  }

  function expectAssistant(conversationId: string, waiting = true): void {
    clearTimeout(assistantTimers.get(conversationId));
    awaitingAssistant.value = { ...awaitingAssistant.value, [conversationId]: waiting };
    // The reply may never come (assistant down, reconnect lost it): stop saying "thinking" eventually.
    if (waiting)
      assistantTimers.set(
        conversationId,
        setTimeout(() => expectAssistant(conversationId, false), 45_000),
      );
  }

  /** Tells the other side we are typing; repeated at most every few seconds while keys are pressed. */
  async function setTyping(isTyping: boolean): Promise<void> {
    const conversationId = activeId.value;
    const socket = currentSocket();
    if (!conversationId || !socket) return;
    const now = Date.now();
    if (isTyping && now - lastTypingSent < TYPING_RESEND_MS) return;
    lastTypingSent = isTyping ? now : 0;
    try {
      await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('chat:typing', { conversationId, typing: isTyping });
    } catch {
      // A lost typing hint is harmless; the next keystroke sends another.
    }
  }

  /** Marks everything from the other side as read, up to the newest message. */
  async function markRead(conversationId: string | null = activeId.value): Promise<void> {
    if (!conversationId) return;
    const list = messages.value[conversationId] ?? [];
    const unreadTheirs = list.filter((m) => !isOurs(m) && m.readAt === null);
    if (unreadTheirs.length === 0) {
      patchConversation(conversationId, (c) => ({ ...c, unread: 0 }));
      return;
    }
    const upTo = unreadTheirs[unreadTheirs.length - 1]!.id;
    const now = new Date().toISOString();
    put(
      conversationId,
      unreadTheirs.map((m) => ({ ...m, readAt: now })),
    );
    patchConversation(conversationId, (c) => ({ ...c, unread: 0 }));
    try {
      const socket = currentSocket();
      if (socket)
        unwrapAck(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('chat:read', { conversationId, upTo }));
      else await chatApi.read(conversationId, upTo);
    } catch {
      // The next message or reconnect marks them again; the receipt is best effort.
    }
  }

  function isVisible(conversationId: string): boolean {
    return activeId.value === conversationId && (typeof document === 'undefined' || !document.hidden);
  }

  /** A message from the socket (or our own ack): merged once, whoever sent it. */
  function receive(message: ChatMessage): void {
    const id = message.conversationId;
    const known = (messages.value[id] ?? []).some((m) => m.id === message.id);
    put(id, [message]);
    clearTypist(id, message.sender.id);
    if (message.sender.role === 'assistant' && awaitingAssistant.value[id]) expectAssistant(id, false);
    const exists = conversations.value.some((c) => c.id === id);
    if (!exists && myRole.value === 'admin') {
      // A client we have not seen yet: the list with its name comes from the server.
      void fetchConversations();
      return;
    }
    patchConversation(id, (c) => ({
      ...c,
      lastMessage: !c.lastMessage || byTime(c.lastMessage, message) <= 0 ? message : c.lastMessage,
      unread: !known && !isOurs(message) && !isVisible(id) ? c.unread + 1 : c.unread,
    }));
    if (!isOurs(message) && isVisible(id)) void markRead(id);
  }

  function clearTypist(conversationId: string, userId: string | null): void {
    const list = typing.value[conversationId] ?? [];
    if (!list.some((t) => t.userId === userId)) return;
    typing.value = { ...typing.value, [conversationId]: list.filter((t) => t.userId !== userId) };
  }

  function receiveTyping(payload: {
    conversationId: string;
    userId: string;
    role: Role;
    typing: boolean;
  }): void {
    if (payload.userId === session.user?.id) return;
    const key = `${payload.conversationId}|${payload.userId}`;
    clearTimeout(typingTimers.get(key));
    clearTypist(payload.conversationId, payload.userId);
    if (!payload.typing) return;
    const list = typing.value[payload.conversationId] ?? [];
    typing.value = {
      ...typing.value,
      [payload.conversationId]: [...list, { userId: payload.userId, role: payload.role }],
    };
    // A "stopped typing" lost to a dropped connection must not leave the hint forever.
    typingTimers.set(
      key,
      setTimeout(() => clearTypist(payload.conversationId, payload.userId), TYPING_STALE_MS),
    );
  }

  /** The other side read our messages up to `upTo`. */
  function receiveRead(payload: { conversationId: string; userId: string; upTo: string }): void {
    const list = messages.value[payload.conversationId];
    if (!list) return;
    const index = list.findIndex((m) => m.id === payload.upTo);
    if (index < 0) return;
    const now = new Date().toISOString();
    const readerIsUs = payload.userId === session.user?.id;
    // A conversation's id is its client's id, so this says which side did the reading.
    const readerIsClient = payload.userId === payload.conversationId;
    const changed = list
      .slice(0, index + 1)
      .filter((m) => m.readAt === null && (m.sender.role === 'client') !== readerIsClient)
      .map((m) => ({ ...m, readAt: now }));
    if (changed.length) put(payload.conversationId, changed);
    // Read in another tab of ours: the badge goes too.
    if (readerIsUs) patchConversation(payload.conversationId, (c) => ({ ...c, unread: 0 }));
  }

  /** After a reconnect: messages sent while we were away. */
  async function refreshActive(): Promise<void> {
    // A client's one conversation feeds the Support badge even when it is not on screen.
    const own = myRole.value === 'client' ? (session.user?.id ?? null) : null;
    const id = activeId.value ?? own;
    if (id) await loadMessages(id);
    if (myRole.value === 'admin') await fetchConversations();
    if (activeId.value && isVisible(activeId.value)) await markRead(activeId.value);
  }

  function reset(): void {
    conversations.value = [];
    messages.value = {};
    hasOlder.value = {};
    awaitingAssistant.value = {};
    for (const timer of assistantTimers.values()) clearTimeout(timer);
    assistantTimers.clear();
    activeId.value = null;
    typing.value = {};
    for (const timer of typingTimers.values()) clearTimeout(timer);
    typingTimers.clear();
  }

  return {
    conversations,
    sortedConversations,
    messages,
    activeId,
    active,
    activeTypists,
    activeHasOlder,
    activeAwaitsAssistant,
    loadingOlder,
    loadOlder,
    typing,
    lastSeenId,
    totalUnread,
    loadingConversations,
    loadingMessages,
    error,
    sendError,
    sending,
    isOurs,
    fetchConversations,
    loadMessages,
    open,
    close,
    send,
    setTyping,
    markRead,
    receive,
    receiveTyping,
    receiveRead,
    refreshActive,
    reset,
  };
});
