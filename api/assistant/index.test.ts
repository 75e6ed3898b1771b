/**
 * The assistant through the real @google/genai SDK against a local fake
 * Gemini server, over a real Postgres schema: the function-call round trip
 * with the client's own data, refusal of another client's device, and the
 * offline / failure / timeout hand-overs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addDays, dayHours } from '../../core/time.ts';
import { ChatService } from '../chat/service.ts';
import type { ChatMessage } from '../contract.ts';
import { silentLog, type TestApp, testApp } from '../testing.ts';
import { type FakeGemini, startFakeGemini } from './fake-gemini.ts';
import { createAssistant, OFFLINE_TEXT, UNAVAILABLE_TEXT } from './index.ts';

let t: TestApp;
let fake: FakeGemini;
let alice: { id: string; token: string; username: string };
let bob: { id: string; token: string; username: string };
let heaterId: string;
let bobsDeviceId: string;
const today = new Date().toISOString().slice(0, 10);
const yesterday = addDays(today, -1);

function events() {
  const seen: Array<{ rooms: string[]; event: string; payload: unknown }> = [];
  const stop = t.drivers.events.subscribe((rooms, event, payload) => seen.push({ rooms, event, payload }));
  return { seen, stop };
}

beforeAll(async () => {
  t = await testApp();
  fake = await startFakeGemini();
  alice = await t.createClient();
  bob = await t.createClient();
  heaterId = (await t.createDevice({ name: 'Heater', ownerId: alice.id, timeZone: 'Europe/Bucharest' })).id;
  bobsDeviceId = (await t.createDevice({ name: 'Bob boiler', ownerId: bob.id })).id;
  const hours = dayHours(yesterday, 'Europe/Bucharest');
  await t.db.sql`insert into hourly (device_id, hour_start, kwh, readings) values
    (${heaterId}, ${new Date(hours[7]!)}, 1.25, 4), (${heaterId}, ${new Date(hours[8]!)}, 0.5, 4),
    (${bobsDeviceId}, ${new Date(dayHours(yesterday, 'UTC')[9]!)}, 9.875, 4)`;
});

afterEach(() => {
  fake.requests.length = 0;
});

afterAll(async () => {
  await fake.close();
  await t.close();
});

const chatWith = (assistant: ReturnType<typeof createAssistant>) =>
  new ChatService({ sql: t.db.sql, events: t.deps.events, log: silentLog, assistant });

const aliceActor = () => ({ id: alice.id, role: 'client' as const, name: 'Alice' });

/** An assistant with a key, talking to the fake Gemini. */
const gemini = (options: { timeoutMs?: number; maxToolRounds?: number } = {}) =>
  createAssistant({ apiKey: 'test-key', model: 'gemini-test', baseUrl: fake.baseUrl, ...options });

/** Alice asks `assistant` one question, with nothing before it in the conversation. */
const aliceAsks = (assistant: ReturnType<typeof createAssistant>, question: string) =>
  assistant.answer({
    sql: t.db.sql,
    client: { id: alice.id, name: 'Alice' },
    history: [fakeMessage(alice.id, question)],
  });

describe('assistant', () => {
  it('answers what a device cost from data: get_consumption returns the cost with a tariff', async () => {
    const tariff = { currency: 'EUR', periods: [{ from: '00:00', pricePerKwh: 0.25 }] };
    const pumpId = (await t.createDevice({ name: 'Heat pump', ownerId: alice.id, tariff })).id;
    const hours = dayHours(yesterday, 'UTC');
    await t.db.sql`insert into hourly (device_id, hour_start, kwh, readings, cost) values
      (${pumpId}, ${new Date(hours[3]!)}, 1.5, 2, 0.375), (${pumpId}, ${new Date(hours[4]!)}, 0.002, 1, 0.0005)`;
    fake.script((_req, i) =>
      i === 0
        ? { functionCall: { name: 'get_consumption', args: { deviceId: pumpId, date: yesterday } } }
        : { text: 'Your heat pump cost 0.38 EUR yesterday.' },
    );
    const chat = chatWith(gemini());
    await chat.send(aliceActor(), {
      conversationId: alice.id,
      body: 'What did my heat pump cost yesterday?',
      toAssistant: true,
    });
    await chat.idle();
    const fr = fake.requests[1]!.body.contents.at(-1).parts[0].functionResponse;
    expect(fr.response).toMatchObject({ currency: 'EUR', totalCost: 0.38, totalKwh: 1.502 });
    expect(fr.response.hours[3]).toEqual({ start: expect.any(String), kwh: 1.5, cost: 0.38 });
    expect(fr.response.hours[0].cost).toBe(0);
    await t.request('DELETE', `/api/devices/${pumpId}`);
  });

  it('answers with the client’s own consumption through a function-call round trip', async () => {
    fake.script((_req, i) =>
      i === 0
        ? { functionCall: { name: 'get_consumption', args: { deviceId: heaterId, date: yesterday } } }
        : { text: 'Your heater used 1.75 kWh yesterday.' },
    );
    const chat = chatWith(gemini());
    const { seen, stop } = events();
    const mine = await chat.send(aliceActor(), {
      conversationId: alice.id,
      body: 'How much did my heater use yesterday?',
      toAssistant: true,
    });
    expect(mine.sender.role).toBe('client');
    await chat.idle();
    stop();

    expect(fake.requests).toHaveLength(2);
    const [first, second] = fake.requests;
    expect(first!.path).toBe('/v1beta/models/gemini-test:generateContent');
    expect(first!.apiKey).toBe('test-key');
    expect(JSON.stringify(first!.body.contents)).toContain('How much did my heater use yesterday?');
    expect(JSON.stringify(first!.body.tools)).toContain('get_consumption');
    // The SDK sent back our tool's result: the heater's hours of yesterday.
    const lastTurn = second!.body.contents.at(-1);
    const fr = lastTurn.parts[0].functionResponse;
    expect(fr.name).toBe('get_consumption');
    expect(fr.response.deviceId).toBe(heaterId);
    expect(fr.response.totalKwh).toBe(1.75);
    expect(fr.response.hours).toHaveLength(24);
    expect(fr.response.hours[7].kwh).toBe(1.25);

    const history = await chat.history(aliceActor(), alice.id, { limit: 10 });
    const reply = history.items.at(-1)!;
    expect(reply.sender).toEqual({ id: null, role: 'assistant', name: 'EMS assistant' });
    expect(reply.body).toBe('Your heater used 1.75 kWh yesterday.');
    const pushed = seen.filter((e) => e.event === 'chat:message').map((e) => e.payload as ChatMessage);
    expect(pushed.map((m) => m.body)).toEqual([mine.body, reply.body]);
    expect(seen[1]!.rooms).toEqual([`user:${alice.id}`, 'admins']);
  });

  it('refuses another client’s device with an error result and leaks none of its data', async () => {
    fake.script((_req, i) =>
      i === 0
        ? { functionCall: { name: 'get_consumption', args: { deviceId: bobsDeviceId, date: yesterday } } }
        : { text: 'I cannot see that device.' },
    );
    const reply = await aliceAsks(gemini(), 'How much did the boiler use?');
    expect(reply).toEqual({ text: 'I cannot see that device.', handedOver: false });
    const sent = JSON.stringify(fake.requests[1]!.body.contents.at(-1));
    expect(sent).toContain('"error"');
    expect(sent).not.toContain('9.875');
    expect(sent).not.toContain('Bob boiler');
  });

  it('lists only the client’s own devices', async () => {
    fake.script((_req, i) =>
      i === 0 ? { functionCall: { name: 'list_my_devices', args: {} } } : { text: 'You have a heater.' },
    );
    await aliceAsks(gemini(), 'Which devices do I have?');
    const devices = fake.requests[1]!.body.contents.at(-1).parts[0].functionResponse.response.devices;
    expect(devices.map((d: { id: string }) => d.id)).toEqual([heaterId]);
  });

  it('without a key says it is offline, and the chat stores that reply for the client and admins', async () => {
    const chat = chatWith(createAssistant({}));
    const { seen, stop } = events();
    await chat.send(aliceActor(), { conversationId: alice.id, body: 'Anyone there?', toAssistant: true });
    await chat.idle();
    stop();
    expect(fake.requests).toHaveLength(0);
    const reply = seen.at(-1)!;
    expect(reply.rooms).toEqual([`user:${alice.id}`, 'admins']);
    expect((reply.payload as ChatMessage).body).toBe(OFFLINE_TEXT);
    expect((reply.payload as ChatMessage).sender.role).toBe('assistant');
  });

  it('hands over when Gemini answers 500', async () => {
    fake.script(() => ({ status: 500 }));
    const reply = await aliceAsks(gemini(), 'Hi');
    expect(reply).toEqual({ text: UNAVAILABLE_TEXT, handedOver: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('hands over when Gemini never answers, once the deadline passes', async () => {
    fake.script(() => 'hang');
    const reply = await aliceAsks(gemini({ timeoutMs: 300 }), 'Hi');
    expect(reply).toEqual({ text: UNAVAILABLE_TEXT, handedOver: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up when the model keeps calling tools', async () => {
    fake.script(() => ({ functionCall: { name: 'list_my_alerts', args: { status: 'all' } } }));
    const reply = await aliceAsks(gemini({ maxToolRounds: 2 }), 'Alerts?');
    expect(reply.handedOver).toBe(true);
    expect(fake.requests).toHaveLength(3);
  });
});

function fakeMessage(clientId: string, body: string): ChatMessage {
  return {
    id: crypto.randomUUID(),
    conversationId: clientId,
    sender: { id: clientId, role: 'client', name: 'Alice' },
    body,
    createdAt: new Date().toISOString(),
    readAt: null,
  };
}
