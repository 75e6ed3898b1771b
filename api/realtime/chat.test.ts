/**
 * The chat between a client socket and an admin socket on different api
 * nodes (Redis adapter, random prefix): sending, typing and read receipts
 * with their acks, unread counts over REST, bad payloads answered with an
 * error ack, and no message ever reaching another client.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, Conversation, List } from '../contract.ts';
import { type ApiNode, connect, nextEvent, recorder, request, useTwoNodeCluster } from './testing.ts';

const cluster = useTwoNodeCluster();
let alice: { id: string; token: string };
let bob: { id: string; token: string };

beforeAll(async () => {
  alice = await cluster.t.createClient();
  bob = await cluster.t.createClient();
});

async function rest(node: ApiNode, token: string, path: string) {
  const res = await fetch(`${node.url}/api/chat${path}`, { headers: { authorization: `Bearer ${token}` } });
  return res.json();
}

/** The conversations list as `token` sees it through `node`. */
async function conversations(node: ApiNode, token: string) {
  return (await rest(node, token, '/conversations')) as List<Conversation>;
}

describe('chat over sockets, across api nodes', () => {
  it('client and admin exchange messages, typing and read receipts; Bob hears none of it', async () => {
    const client = await connect(cluster.node1.url, { token: alice.token });
    const admin = await connect(cluster.node2.url, { token: cluster.t.adminToken });
    const bobSocket = await connect(cluster.node2.url, { token: bob.token });
    const bobSeen = recorder(bobSocket);
    const clientSeen = recorder(client);

    // The client types: the admin sees it, the client does not get its own echo.
    const adminSeesTyping = nextEvent(admin, 'chat:typing');
    expect(await request(client, 'chat:typing', { conversationId: alice.id, typing: true })).toEqual({
      ok: true,
    });
    expect(await adminSeesTyping).toEqual({
      conversationId: alice.id,
      userId: alice.id,
      role: 'client',
      typing: true,
    });

    // The client sends: the ack carries the stored message, both sides get chat:message.
    const adminGets = nextEvent<ChatMessage>(admin, 'chat:message');
    const clientGets = nextEvent<ChatMessage>(client, 'chat:message');
    const sent = await request(client, 'chat:send', { conversationId: alice.id, body: 'My bill doubled' });
    expect(sent.ok).toBe(true);
    expect(sent.message).toMatchObject({
      conversationId: alice.id,
      body: 'My bill doubled',
      sender: { role: 'client' },
    });
    expect(await adminGets).toEqual(sent.message);
    expect(await clientGets).toEqual(sent.message);

    const unreadForAdmin = await conversations(cluster.node1, cluster.t.adminToken);
    expect(unreadForAdmin.items.find((c) => c.id === alice.id)!.unread).toBe(1);

    // The admin types and replies.
    const clientSeesTyping = nextEvent(client, 'chat:typing');
    await request(admin, 'chat:typing', { conversationId: alice.id, typing: true });
    expect(await clientSeesTyping).toEqual({
      conversationId: alice.id,
      userId: cluster.t.adminId,
      role: 'admin',
      typing: true,
    });
    const replyArrives = nextEvent<ChatMessage>(client, 'chat:message', (m) => m.sender.role === 'admin');
    const reply = await request(admin, 'chat:send', {
      conversationId: alice.id,
      body: 'Let me check your heater',
    });
    expect(await replyArrives).toEqual(reply.message);
    expect((await conversations(cluster.node2, alice.token)).items[0]!.unread).toBe(1);

    // Read receipts, both ways.
    const clientSeesRead = nextEvent(client, 'chat:read');
    expect(await request(admin, 'chat:read', { conversationId: alice.id, upTo: sent.message.id })).toEqual({
      ok: true,
    });
    expect(await clientSeesRead).toEqual({
      conversationId: alice.id,
      userId: cluster.t.adminId,
      upTo: sent.message.id,
    });
    const adminSeesRead = nextEvent(admin, 'chat:read');
    await request(client, 'chat:read', { conversationId: alice.id, upTo: reply.message.id });
    expect(await adminSeesRead).toEqual({
      conversationId: alice.id,
      userId: alice.id,
      upTo: reply.message.id,
    });
    expect((await conversations(cluster.node2, alice.token)).items[0]!.unread).toBe(0);
    const adminView = await conversations(cluster.node1, cluster.t.adminToken);
    expect(adminView.items.find((c) => c.id === alice.id)!.unread).toBe(0);

    const history = (await rest(
      cluster.node1,
      alice.token,
      `/conversations/${alice.id}/messages`,
    )) as List<ChatMessage>;
    expect(history.items.map((m) => m.body)).toEqual(['My bill doubled', 'Let me check your heater']);
    expect(history.items.every((m) => m.readAt !== null)).toBe(true);

    // A marker to Bob arrives after everything above: he had nothing before it.
    const bobGets = nextEvent<ChatMessage>(bobSocket, 'chat:message');
    const marker = await request(admin, 'chat:send', { conversationId: bob.id, body: 'Hello Bob' });
    expect(await bobGets).toEqual(marker.message);
    expect(bobSeen).toEqual([{ event: 'chat:message', payload: marker.message }]);
    expect(
      clientSeen.some((e) => e.event === 'chat:typing' && (e.payload as { role: string }).role === 'client'),
    ).toBe(false);
  });

  it('answers bad payloads with an error ack and keeps serving the socket', async () => {
    const client = await connect(cluster.node1.url, { token: alice.token });
    const cases: Array<[string, unknown, string]> = [
      ['chat:send', {}, 'invalid_request'],
      ['chat:send', 'hello', 'invalid_request'],
      ['chat:send', null, 'invalid_request'],
      ['chat:send', { conversationId: alice.id, body: '   ' }, 'invalid_request'],
      ['chat:send', { conversationId: alice.id, body: 'x'.repeat(4001) }, 'invalid_request'],
      ['chat:send', { conversationId: alice.id, body: 'hi', toAssistant: 'yes' }, 'invalid_request'],
      ['chat:send', { conversationId: bob.id, body: 'hi Bob' }, 'not_found'],
      ['chat:send', { conversationId: 'not-a-uuid', body: 'hi' }, 'not_found'],
      ['chat:typing', { conversationId: alice.id }, 'invalid_request'],
      ['chat:typing', { conversationId: bob.id, typing: true }, 'not_found'],
      ['chat:read', { conversationId: alice.id, upTo: 'nope' }, 'not_found'],
      ['chat:read', { conversationId: alice.id, upTo: crypto.randomUUID() }, 'not_found'],
      ['chat:read', 42, 'invalid_request'],
    ];
    for (const [event, payload, code] of cases) {
      const reply = await request(client, event, payload);
      expect({ event, payload, code: reply.error?.code }).toEqual({ event, payload, code });
      expect(typeof reply.error.message).toBe('string');
    }
    const withDetails = await request(client, 'chat:send', { conversationId: alice.id, body: '' });
    expect(withDetails.error.details[0].path).toBe('body');

    // Without an ack callback nothing breaks either; the socket still answers.
    (client as unknown as { emit(event: string, payload: unknown): void }).emit('chat:send', { bogus: true });
    const ok = await request(client, 'chat:send', { conversationId: alice.id, body: 'still here' });
    expect(ok.ok).toBe(true);
    expect(client.connected).toBe(true);
  });

  it('an admin socket may not send to a conversation that is not a client’s', async () => {
    const admin = await connect(cluster.node2.url, { token: cluster.t.adminToken });
    const reply = await request(admin, 'chat:send', { conversationId: cluster.t.adminId, body: 'hi me' });
    expect(reply.error.code).toBe('not_found');
  });
});
