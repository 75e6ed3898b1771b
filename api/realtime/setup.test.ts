/**
 * The realtime layer as the single-process mode wires it (createRealtimeSetup
 * over in-memory events): a client asks the assistant from its socket and the
 * reply arrives as `chat:message` on the client's and an admin's socket —
 * the offline hand-over without a key, Gemini's answer with one.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventPublisher } from '../../runtime/redis/events.ts';
import { redisKeys } from '../../runtime/redis/keys.ts';
import { createApp } from '../app.ts';
import { type FakeGemini, startFakeGemini } from '../assistant/fake-gemini.ts';
import { OFFLINE_TEXT } from '../assistant/index.ts';
import type { AppDeps } from '../context.ts';
import type { ChatMessage } from '../contract.ts';
import { TEST_REDIS_URL, type TestApp, testApp } from '../testing.ts';
import type { Realtime } from './gateway.ts';
import { createRealtimeSetup, type RealtimeConfig } from './setup.ts';
import { closeAllSockets, connect, nextEvent, request } from './testing.ts';

let t: TestApp;
let fake: FakeGemini;
const running: Array<{ server: Server; realtime: Realtime }> = [];

let setup = createRealtimeSetup();

async function start(
  config: RealtimeConfig,
  deps: AppDeps = t.deps,
  rateLimit?: { max: number; windowMs: number },
): Promise<string> {
  setup = createRealtimeSetup(rateLimit ? { rateLimit } : {});
  const { app } = createApp(deps, { mount: [(a) => setup.mount(a, deps, config)] });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const realtime = await setup.attach(server, deps, config, { memoryEvents: t.drivers.events });
  running.push({ server, realtime });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  t = await testApp();
  fake = await startFakeGemini();
});

afterEach(() => closeAllSockets());

afterAll(async () => {
  for (const { server, realtime } of running) {
    await realtime.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await fake.close();
  await t.close();
});

describe('single-process realtime setup', () => {
  it('without GEMINI_API_KEY the assistant replies that it is offline, to the client and the admins', async () => {
    const url = await start({ EMS_REDIS_PREFIX: 'ems', GEMINI_MODEL: 'gemini-2.5-flash' });
    const alice = await t.createClient();
    const client = await connect(url, { token: alice.token });
    const admin = await connect(url, { token: t.adminToken });
    const isAssistant = (m: ChatMessage) => m.sender.role === 'assistant';
    const clientGets = nextEvent<ChatMessage>(client, 'chat:message', isAssistant);
    const adminGets = nextEvent<ChatMessage>(admin, 'chat:message', isAssistant);
    const sent = await request(client, 'chat:send', {
      conversationId: alice.id,
      body: 'Is my fridge broken?',
      toAssistant: true,
    });
    expect(sent.message.sender.role).toBe('client');
    const reply = await clientGets;
    expect(reply).toMatchObject({
      conversationId: alice.id,
      body: OFFLINE_TEXT,
      sender: { name: 'EMS assistant' },
    });
    expect(await adminGets).toEqual(reply);
    expect(fake.requests).toHaveLength(0);
  });

  it('with a key (and GEMINI_BASE_URL) the answer comes from Gemini', async () => {
    fake.script(() => ({ text: 'Fridges use about 1 kWh a day.' }));
    const url = await start({
      EMS_REDIS_PREFIX: 'ems',
      GEMINI_API_KEY: 'test-key',
      GEMINI_MODEL: 'gemini-fake',
      GEMINI_BASE_URL: fake.baseUrl,
    });
    const bob = await t.createClient();
    const client = await connect(url, { token: bob.token });
    const answer = nextEvent<ChatMessage>(client, 'chat:message', (m) => m.sender.role === 'assistant');
    await request(client, 'chat:send', {
      conversationId: bob.id,
      body: 'How much does a fridge use?',
      toAssistant: true,
    });
    expect((await answer).body).toBe('Fridges use about 1 kWh a day.');
    expect(fake.requests[0]!.path).toBe('/v1beta/models/gemini-fake:generateContent');
  });

  it('userDeleted and tokenRevoked end those sessions at once', async () => {
    const url = await start({ EMS_REDIS_PREFIX: 'ems', GEMINI_MODEL: 'gemini-2.5-flash' });
    const carol = await t.createClient();
    const byJwt = await connect(url, { token: carol.token });
    const created = await t.request('POST', '/api/tokens', { token: carol.token, body: { name: 'bot' } });
    const pat = (await created.json()) as { id: string; token: string };
    const byPat = await connect(url, { token: pat.token });
    const patGone = new Promise((resolve) => byPat.once('disconnect', resolve));
    setup.tokenRevoked(pat.id);
    expect(await patGone).toBe('io server disconnect');
    expect(byJwt.connected).toBe(true);
    const jwtGone = new Promise((resolve) => byJwt.once('disconnect', resolve));
    setup.userDeleted(carol.id);
    expect(await jwtGone).toBe('io server disconnect');
  });

  it('distributed: two nodes share the chat over Redis and one send limit per user', async () => {
    const prefix = `t_${randomBytes(5).toString('hex')}`;
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const deps = { ...t.deps, events: new RedisEventPublisher(redis, redisKeys(prefix).socketIo) };
      const config = { REDIS_URL: TEST_REDIS_URL, EMS_REDIS_PREFIX: prefix, GEMINI_MODEL: 'm' };
      const limit = { max: 6, windowMs: 600_000 };
      const urlA = await start(config, deps, limit);
      const urlB = await start(config, deps, limit);
      const frank = await t.createClient();
      const client = await connect(urlA, { token: frank.token });
      const admin = await connect(urlB, { token: t.adminToken });
      const adminGets = nextEvent<ChatMessage>(admin, 'chat:message');
      const first = await request(client, 'chat:send', { conversationId: frank.id, body: 'hello from A' });
      expect(await adminGets).toEqual(first.message);

      // 6 messages per window per user, counted across both nodes.
      const client2 = await connect(urlB, { token: frank.token });
      const codes: string[] = [];
      for (let i = 0; i < 7; i++) {
        const reply = await request(i % 2 ? client2 : client, 'chat:send', {
          conversationId: frank.id,
          body: `n${i}`,
        });
        codes.push(reply.ok ? 'ok' : reply.error.code);
      }
      expect(codes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'too_many_requests', 'too_many_requests']);
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });
});
