import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { aMessage, anAlert, aUser } from '../test-data.ts';
import { fakeFetch } from '../test-fetch.ts';

// A stand-in for socket.io-client: the test plays the server by firing events.
type Listener = (...args: unknown[]) => void;
const fakeSocket = vi.hoisted(() => {
  const listeners = new Map<string, Listener[]>();
  return {
    listeners,
    connected: true,
    on(event: string, fn: Listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
      return this;
    },
    fire(event: string, ...args: unknown[]) {
      for (const fn of listeners.get(event) ?? []) fn(...args);
    },
    connect: vi.fn(),
  };
});
vi.mock('../api/socket.ts', () => ({
  openSocket: () => fakeSocket,
  closeSocket: () => fakeSocket.listeners.clear(),
  currentSocket: () => null,
  unwrapAck: (r: unknown) => r,
  ACK_TIMEOUT_MS: 1000,
}));

const { useRealtime } = await import('./realtime.ts');
const { useAlerts } = await import('./alerts.ts');
const { useToasts } = await import('./toasts.ts');
const { useDevices } = await import('./devices.ts');
const { useSession } = await import('./session.ts');

/** An admin's inbox entry for a client with no messages yet. */
function aConversation(id: string, username: string, name: string) {
  return { id, client: { id, username, name }, lastMessage: null, unread: 0 };
}

beforeEach(() => {
  setActivePinia(createPinia());
  fakeSocket.listeners.clear();
});
afterEach(() => vi.unstubAllGlobals());

describe('realtime wiring', () => {
  it('puts a pushed alert in the bell and shows one toast for it', () => {
    const realtime = useRealtime();
    realtime.start('tok');
    const alert = anAlert({ deviceName: 'Sauna', kwh: 3, maxHourlyKwh: 2 });
    fakeSocket.fire('alert', alert);
    fakeSocket.fire('alert', alert);
    expect(useAlerts().openCount).toBe(1);
    const toasts = useToasts().items;
    expect(toasts).toHaveLength(1);
    expect(toasts[0]).toMatchObject({ kind: 'danger', title: 'Sauna is over its hourly limit' });
    expect(toasts[0]?.body).toBe('3 kWh of 2 kWh this hour');
  });

  it('files a year of late backfill in the bell without a toast, and toasts a late alert of the last hour', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-07-01T12:30:00Z'));
    try {
      useRealtime().start('tok');
      for (let day = 1; day <= 365; day++) {
        const hourStart = new Date(Date.parse('2025-07-01T10:00:00Z') + day * 86_400_000).toISOString();
        fakeSocket.fire('alert', anAlert({ late: true, hourStart, deviceName: 'Old' }));
      }
      expect(useAlerts().openCount).toBe(365);
      expect(useToasts().items).toEqual([]);
      fakeSocket.fire(
        'alert',
        anAlert({ late: true, hourStart: '2026-07-01T11:00:00Z', deviceName: 'Oven' }),
      );
      expect(useToasts().items.map((t) => t.title)).toEqual(['Oven is over its hourly limit']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('toasts a burst of fresh alerts a few at a time, with a "+N more alerts" summary', () => {
    useRealtime().start('tok');
    const burst = Array.from({ length: 10 }, (_, i) => anAlert({ deviceName: `Meter ${i}` }));
    for (const alert of burst) fakeSocket.fire('alert', alert);
    fakeSocket.fire('alert', burst[9]); // a repeat push (same id) is neither listed nor counted twice
    expect(useAlerts().openCount).toBe(10);
    expect(useToasts().items.map((t) => t.title)).toEqual([
      'Meter 0 is over its hourly limit',
      'Meter 1 is over its hourly limit',
      'Meter 2 is over its hourly limit',
      '+7 more alerts',
    ]);
  });

  it('shows reconnecting when the socket drops and refetches open alerts when it is back', async () => {
    const missed = anAlert();
    const fake = fakeFetch({ 'GET /api/alerts': () => ({ body: { items: [missed], total: 1 } }) });
    const realtime = useRealtime();
    realtime.start('tok');
    expect(realtime.status).toBe('connecting');
    fakeSocket.fire('connect');
    expect(realtime.status).toBe('online');
    expect(fake.calls).toHaveLength(0);
    fakeSocket.fire('disconnect', 'transport close');
    expect(realtime.status).toBe('reconnecting');
    fakeSocket.fire('connect');
    expect(realtime.status).toBe('online');
    await vi.waitFor(() => expect(useAlerts().openCount).toBe(1));
    expect(fake.calls[0]?.query.get('status')).toBe('open');
  });

  it('after a reconnect, shows the alerts raised while it was away, acknowledged ones too, once', async () => {
    const seen = anAlert({ deviceName: 'Seen', createdAt: '2026-07-01T10:40:00Z' });
    const open = anAlert({ deviceName: 'Open meanwhile', createdAt: '2026-07-01T10:50:00Z' });
    const acked = anAlert({
      deviceName: 'Acked meanwhile',
      createdAt: '2026-07-01T10:45:00Z',
      acknowledgedAt: '2026-07-01T10:46:00Z',
    });
    const fake = fakeFetch({
      'GET /api/alerts': (call) =>
        call.query.get('status') === 'open'
          ? { body: { items: [open, seen], total: 2 } }
          : { body: { items: [open, acked, seen], total: 3 } },
    });
    const realtime = useRealtime();
    realtime.start('tok');
    fakeSocket.fire('connect');
    fakeSocket.fire('alert', seen);
    useToasts().items.splice(0);
    fakeSocket.fire('disconnect', 'transport close');
    fakeSocket.fire('connect');
    await vi.waitFor(() => expect(useAlerts().items).toHaveLength(3));
    const since = fake.calls.find((c) => c.query.get('status') === 'all')?.query.get('since');
    expect(since).toBe(seen.createdAt);
    expect(useAlerts().open.map((a) => a.deviceName)).toEqual(['Open meanwhile', 'Seen']);
    // Toasted as if pushed, oldest first; the alert it had is not shown again.
    await vi.waitFor(() => expect(useToasts().items).toHaveLength(2));
    expect(useToasts().items.map((t) => t.title)).toEqual([
      'Acked meanwhile is over its hourly limit',
      'Open meanwhile is over its hourly limit',
    ]);
  });

  it('ends the session when the server refuses the token', () => {
    const session = useSession();
    session.token = 'old';
    const realtime = useRealtime();
    realtime.start('old');
    fakeSocket.fire('connect_error', new Error('unauthorized'));
    expect(session.token).toBeNull();
    expect(session.notice).toMatch(/expired/);
    expect(realtime.status).toBe('offline');
  });

  it('feeds live totals to the device gauges', () => {
    const realtime = useRealtime();
    realtime.start('tok');
    fakeSocket.fire('live', {
      deviceId: 'd1',
      hourStart: '2026-07-01T10:00:00Z',
      kwh: 1.25,
      rolling60Kwh: 1.4,
      projectedKwh: 1.9,
      at: '2026-07-01T10:30:00Z',
    });
    expect(useDevices().live.d1?.kwh).toBe(1.25);
  });
});

describe('chat pushes', () => {
  it('toasts a message that arrives for a conversation we are not looking at, once', async () => {
    const { useChat } = await import('./chat.ts');
    const session = useSession();
    session.token = 'tok';
    session.user = aUser({ id: 'admin-1', username: 'root', name: 'Root', role: 'admin' });
    const chat = useChat();
    chat.conversations = [aConversation('client-1', 'ada', 'Ada')];
    useRealtime().start('tok');
    const message = aMessage({ id: 'm1', conversationId: 'client-1', body: 'Hello?' });
    fakeSocket.fire('chat:message', message);
    fakeSocket.fire('chat:message', message);
    expect(useToasts().items.map((t) => t.title)).toEqual(['New message from Ada']);
    expect(useToasts().items[0]?.to).toBe('/admin/chat/client-1');
    expect(chat.totalUnread).toBe(1);
  });
});

describe('chat pushes while a conversation is open', () => {
  it('shows no toast; the inbox badge says it', async () => {
    const { useChat } = await import('./chat.ts');
    const session = useSession();
    session.user = aUser({ id: 'admin-1', username: 'root', name: 'Root', role: 'admin' });
    const chat = useChat();
    chat.conversations = [aConversation('client-1', 'ada', 'Ada'), aConversation('client-2', 'alan', 'Alan')];
    chat.activeId = 'client-1';
    useRealtime().start('tok');
    fakeSocket.fire(
      'chat:message',
      aMessage({
        id: 'm2',
        conversationId: 'client-2',
        sender: { id: 'client-2', role: 'client', name: 'Alan' },
        body: 'Hi',
      }),
    );
    expect(useToasts().items).toEqual([]);
    expect(chat.conversations.find((c) => c.id === 'client-2')?.unread).toBe(1);
  });
});
