/**
 * The chat REST routes over a real Postgres schema: sending, history pages,
 * unread counts and read receipts as each side sees them, the pushes that go
 * with them, and the 400 / 404 / 429 refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { OFFLINE_TEXT } from '../assistant/index.ts';
import type { ChatMessage, Conversation, List } from '../contract.ts';
import { silentLog, type TestApp, testApp } from '../testing.ts';
import { chatRoutes } from './index.ts';
import { ChatService } from './service.ts';

let t: TestApp;
let chat: ChatService;
let app: ReturnType<typeof createApp>['app'];
let alice: { id: string; token: string };
let bob: { id: string; token: string };
const pushed: Array<{ rooms: string[]; event: string; payload: unknown }> = [];

beforeAll(async () => {
  t = await testApp();
  chat = new ChatService({
    sql: t.db.sql,
    events: t.deps.events,
    log: silentLog,
    rateLimit: { max: 8, windowMs: 600_000 },
  });
  app = createApp(t.deps, { mount: [(a) => a.route('/api/chat', chatRoutes(t.deps, chat))] }).app;
  alice = await t.createClient();
  bob = await t.createClient();
  t.drivers.events.subscribe((rooms, event, payload) => pushed.push({ rooms, event, payload }));
});

afterAll(async () => {
  await t.close();
});

async function call(method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.request(`/api/chat${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

const send = (token: string, clientId: string, body: unknown) =>
  call('POST', `/conversations/${clientId}/messages`, token, body);
const conversations = async (token: string) =>
  (await call('GET', '/conversations', token)).body as List<Conversation>;
const history = async (token: string, clientId: string, query = '') =>
  (await call('GET', `/conversations/${clientId}/messages${query}`, token)).body as List<ChatMessage>;

describe('chat over REST', () => {
  it('stores and pushes a client message; each side sees its unread count', async () => {
    const sent = await send(alice.token, alice.id, { body: '  My heater is off  ' });
    expect(sent.status).toBe(201);
    const message = sent.body as ChatMessage;
    expect(message).toMatchObject({
      conversationId: alice.id,
      sender: { id: alice.id, role: 'client' },
      body: 'My heater is off',
      readAt: null,
    });
    expect(pushed.at(-1)).toEqual({
      rooms: [`user:${alice.id}`, 'admins'],
      event: 'chat:message',
      payload: message,
    });

    const forAdmin = await conversations(t.adminToken);
    const aliceConv = forAdmin.items.find((c) => c.id === alice.id)!;
    expect(aliceConv.unread).toBe(1);
    expect(aliceConv.lastMessage?.id).toBe(message.id);
    expect(forAdmin.items[0]!.id).toBe(alice.id); // latest activity first
    expect(forAdmin.items.find((c) => c.id === bob.id)).toMatchObject({ lastMessage: null, unread: 0 });

    const forAlice = await conversations(alice.token);
    expect(forAlice.items.map((c) => c.id)).toEqual([alice.id]);
    expect(forAlice.items[0]!.unread).toBe(0); // her own message is not unread for her
  });

  it('read receipts clear the unread count of the reader only, and are pushed', async () => {
    const reply = (await send(t.adminToken, alice.id, { body: 'We are looking into it' }))
      .body as ChatMessage;
    expect(reply.sender.role).toBe('admin');
    expect((await conversations(alice.token)).items[0]!.unread).toBe(1);

    const read = await call('POST', `/conversations/${alice.id}/read`, alice.token, { upTo: reply.id });
    expect(read.status).toBe(204);
    expect(pushed.at(-1)).toEqual({
      rooms: [`user:${alice.id}`, 'admins'],
      event: 'chat:read',
      payload: { conversationId: alice.id, userId: alice.id, upTo: reply.id },
    });
    expect((await conversations(alice.token)).items[0]!.unread).toBe(0);
    // Alice reading does not mark her own message read for the admins.
    const adminView = (await conversations(t.adminToken)).items.find((c) => c.id === alice.id)!;
    expect(adminView.unread).toBe(1);
    const items = (await history(alice.token, alice.id)).items;
    expect(items.find((m) => m.id === reply.id)!.readAt).not.toBeNull();
    expect(items.find((m) => m.sender.role === 'client')!.readAt).toBeNull();

    await call('POST', `/conversations/${alice.id}/read`, t.adminToken, { upTo: reply.id });
    expect((await conversations(t.adminToken)).items.find((c) => c.id === alice.id)!.unread).toBe(0);
  });

  it('asks the assistant for clients only (offline here), never for an administrator', async () => {
    const dan = await t.createClient();
    await send(t.adminToken, dan.id, { body: 'Admins do not ask the assistant', toAssistant: true });
    await chat.idle();
    expect((await history(dan.token, dan.id)).items.map((m) => m.sender.role)).toEqual(['admin']);
    const asked = await send(dan.token, dan.id, { body: 'Assistant, are you there?', toAssistant: true });
    expect(asked.status).toBe(201);
    await chat.idle();
    const items = (await history(dan.token, dan.id)).items;
    expect(items.map((m) => m.sender.role)).toEqual(['admin', 'client', 'assistant']);
    expect(items[2]!.body).toBe(OFFLINE_TEXT);
  });

  it('pages history backwards by message id or by time, each page in chronological order', async () => {
    for (let i = 1; i <= 5; i++) expect((await send(bob.token, bob.id, { body: `m${i}` })).status).toBe(201);
    const newest = await history(bob.token, bob.id, '?limit=2');
    expect(newest.items.map((m) => m.body)).toEqual(['m4', 'm5']);
    expect(newest.total).toBe(5);
    const older = await history(bob.token, bob.id, `?limit=2&before=${newest.items[0]!.id}`);
    expect(older.items.map((m) => m.body)).toEqual(['m2', 'm3']);
    const all = await history(t.adminToken, bob.id);
    const cut = new Date(Date.parse(all.items[2]!.createdAt)).toISOString();
    const byTime = await history(bob.token, bob.id, `?before=${encodeURIComponent(cut)}`);
    expect(byTime.items.every((m) => Date.parse(m.createdAt) < Date.parse(cut))).toBe(true);
    expect(byTime.items.map((m) => m.body)).toEqual(
      all.items.filter((m) => Date.parse(m.createdAt) < Date.parse(cut)).map((m) => m.body),
    );
  });

  it('refuses empty, too long and malformed messages with 400 and details', async () => {
    for (const body of [{ body: '   ' }, { body: 'x'.repeat(4001) }, {}, { body: 'hi', extra: 1 }]) {
      const res = await send(alice.token, alice.id, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details.length).toBeGreaterThan(0);
    }
    const empty = await send(alice.token, alice.id, { body: ' ' });
    expect(empty.body.error.details[0].path).toBe('body');
    expect((await send(alice.token, alice.id, { body: 'y'.repeat(4000) })).status).toBe(201);
    const badBefore = await call('GET', `/conversations/${alice.id}/messages?before=yesterday`, alice.token);
    expect(badBefore.status).toBe(400);
    expect(badBefore.body.error.details[0].path).toBe('before');
  });

  it('answers 404 for another client’s conversation, a non-client id, and an unknown message', async () => {
    expect((await send(alice.token, bob.id, { body: 'hello Bob' })).status).toBe(404);
    expect((await call('GET', `/conversations/${bob.id}/messages`, alice.token)).status).toBe(404);
    expect((await send(t.adminToken, t.adminId, { body: 'to myself' })).status).toBe(404);
    expect((await send(t.adminToken, crypto.randomUUID(), { body: 'nobody' })).status).toBe(404);
    const bobsMessage = (await history(bob.token, bob.id)).items[0]!;
    const res = await call('POST', `/conversations/${alice.id}/read`, alice.token, { upTo: bobsMessage.id });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect((await call('GET', '/conversations', null)).status).toBe(401);
  });

  it('limits how fast one user sends (429 with Retry-After), per user', async () => {
    const carol = await t.createClient();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push((await send(carol.token, carol.id, { body: `spam ${i}` })).status);
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(201));
    expect(statuses.slice(8)).toEqual([429, 429]);
    const limited = await send(carol.token, carol.id, { body: 'again' });
    expect(limited.body.error.code).toBe('too_many_requests');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user is not affected.
    expect((await send(t.adminToken, carol.id, { body: 'Slow down please' })).status).toBe(201);
  });
});
