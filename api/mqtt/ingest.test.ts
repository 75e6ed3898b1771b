/**
 * The MQTT ingest through the real Mosquitto into the real aggregates: an api
 * (in-process, real Postgres) with a runtime over the in-memory drivers, fed
 * by an MQTT publisher. Plain, Tasmota (across a DST fall-back) and Shelly
 * payloads end up in the hourly totals; an invalid message is refused with its
 * reason on the errors topic and counted; /readyz reports the broker.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLog, type TestApp, testApp } from '../testing.ts';
import { MqttIngest } from './ingest.ts';
import { tcpProxy } from './tcp-proxy.ts';
import {
  collect,
  publishJson,
  randomTopicPrefix,
  TEST_MQTT_URL,
  testPublisher,
  waitUntil,
} from './testing.ts';

interface Hours {
  totalKwh: number;
  hours: Array<{ start: string; kwh: number; readings: number }>;
}

/** The app's extra readiness checks: a test may add an ingest's check after the app exists. */
let readinessChecks: Array<() => Promise<void>> = [];

type IngestOptions = ConstructorParameters<typeof MqttIngest>[0];

/** An ingest node of the test's app: the broker, its prefix and a 60 s session unless `options` say otherwise. */
function ingestOf(t: TestApp, prefix: string, options: Partial<IngestOptions> & { clientId: string }) {
  return new MqttIngest({
    url: TEST_MQTT_URL,
    producer: t.deps.producer,
    sql: t.deps.sql,
    shards: t.deps.shards,
    log: silentLog,
    topicPrefix: prefix,
    sessionExpirySeconds: 60,
    ...options,
  });
}

/** The app, its ingest node (not started) and a publisher; all closed when the test ends. */
async function setUp(options: { now?: () => number; registry?: Registry; rawRetentionDays?: number } = {}) {
  readinessChecks = [];
  const t = await testApp({ runtime: true, deps: { readinessChecks } });
  let ingest: MqttIngest | undefined;
  let pub: MqttClient | undefined;
  onTestFinished(async () => {
    await ingest?.stop();
    await pub?.endAsync();
    await t.close();
  });
  const prefix = randomTopicPrefix();
  ingest = ingestOf(t, prefix, { clientId: `${prefix}-node`, ...options });
  pub = await testPublisher();
  return { t, ingest, pub, prefix };
}

async function day(app: TestApp, id: string, date: string): Promise<Hours> {
  const res = await app.request('GET', `/api/devices/${id}/consumption?date=${date}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Hours;
}

async function waitForTotal(app: TestApp, id: string, date: string, kwh: number) {
  await waitUntil(`total ${kwh} kWh`, async () => Math.abs((await day(app, id, date)).totalKwh - kwh) < 1e-9);
}

describe('MQTT ingest through Mosquitto', () => {
  it('plain: a single reading and a batch on ems/devices/<id>/readings reach the hourly totals', async () => {
    const { t, ingest, pub } = await setUp();
    const device = await t.createDevice({ meterKind: 'interval' });
    await ingest.start();
    await ingest.ready();
    const topic = ingest.topics.readingsOf(device.id);
    await publishJson(pub, topic, { timestamp: '2026-03-01T10:05:00Z', value: 0.25 });
    await publishJson(pub, topic, {
      readings: [
        { timestamp: '2026-03-01T10:20:00+00:00', value: 0.5 },
        { timestamp: Date.parse('2026-03-01T11:00:00Z'), value: 1 },
        { timestamp: '2026-03-01T10:05:00Z', value: 0.25 }, // a repeat: counted once
      ],
    });
    await waitForTotal(t, device.id, '2026-03-01', 1.75);
    const hours = (await day(t, device.id, '2026-03-01')).hours;
    expect(hours[10]).toMatchObject({ kwh: 0.75, readings: 2 });
    expect(hours[11]).toMatchObject({ kwh: 1, readings: 1 });
  });

  it('invalid: the reason goes to ems/devices/<id>/errors, nothing is stored, the metric counts it', async () => {
    const registry = new Registry();
    const { t, ingest, pub } = await setUp({ registry });
    const device = await t.createDevice({ meterKind: 'interval' });
    const unknown = '00000000-0000-4000-8000-000000000001';
    await ingest.start();
    await ingest.ready();
    const errors = await collect(ingest.topics.errorsOf(device.id));
    const unknownErrors = await collect(ingest.topics.errorsOf(unknown));
    try {
      const topic = ingest.topics.readingsOf(device.id);
      await publishJson(pub, topic, { timestamp: '2026-03-01T10:00:00', value: 1 });
      await publishJson(pub, topic, {
        readings: [
          { timestamp: '2026-03-01T10:00:00Z', value: 1 },
          { timestamp: '2026-03-01T10:10:00Z', value: -1 },
        ],
      });
      await publishJson(pub, topic, 'not json');
      await publishJson(pub, ingest.topics.readingsOf(unknown), { timestamp: Date.now(), value: 1 });
      await waitUntil(
        () => `three errors, got ${JSON.stringify([errors.messages, unknownErrors.messages])}`,
        () => errors.messages.length === 3 && unknownErrors.messages.length === 1,
      );
      expect(errors.messages[0]).toMatchObject({
        error: { code: 'invalid_request', details: [{ path: 'timestamp' }] },
      });
      expect(errors.messages[1]).toMatchObject({
        error: {
          code: 'invalid_request',
          details: [{ path: 'readings.1.value', message: 'must be a finite number ≥ 0' }],
        },
      });
      expect(errors.messages[2]).toMatchObject({
        error: { code: 'invalid_request', message: 'The payload is not valid JSON' },
      });
      expect(unknownErrors.messages[0]).toMatchObject({ error: { code: 'unprocessable' } });
      const metrics = await registry.metrics();
      expect(metrics).toMatch(/ems_mqtt_messages_total\{format="plain",result="invalid"\} 4/);
      await t.settle();
      expect((await day(t, device.id, '2026-03-01')).totalKwh).toBe(0); // the valid item of the refused batch too
    } finally {
      await errors.close();
      await unknownErrors.close();
    }
  });

  it('retention: a message with a reading older than EMS_RAW_RETENTION_DAYS is refused, explained and counted', async () => {
    const registry = new Registry();
    const { t, ingest, pub } = await setUp({ registry, rawRetentionDays: 30 });
    const device = await t.createDevice({ meterKind: 'interval' });
    await ingest.start();
    await ingest.ready();
    const errors = await collect(ingest.topics.errorsOf(device.id));
    try {
      const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
      await pub.publishAsync(
        ingest.topics.readingsOf(device.id),
        JSON.stringify({
          readings: [
            { timestamp: new Date().toISOString(), value: 1 },
            { timestamp: old, value: 1 },
          ],
        }),
        { qos: 1 },
      );
      await waitUntil('one error', () => errors.messages.length === 1);
      expect(errors.messages[0]).toMatchObject({
        error: {
          code: 'unprocessable',
          message: expect.stringMatching(/retention window of 30 days/),
          details: [{ path: 'readings.1.timestamp' }],
        },
      });
      expect(await registry.metrics()).toMatch(
        /ems_mqtt_messages_total\{format="plain",result="invalid"\} 1/,
      );
      await t.settle();
      const [row] = await t.db.sql<
        { n: number }[]
      >`select count(*)::int as n from readings where device_id = ${device.id}`;
      expect(row!.n).toBe(0);
    } finally {
      await errors.close();
    }
  });

  it('tasmota: ENERGY.Total (kWh) with local Time; the repeated hour of a DST fall-back is told apart by arrival', async () => {
    let now = 0;
    const { t, ingest, pub, prefix } = await setUp({ now: () => now });
    const topic = `${prefix}/tele/plug-${randomBytes(2).toString('hex')}/SENSOR`;
    const device = await t.createDevice({
      meterKind: 'cumulative',
      timeZone: 'Europe/Berlin',
      mqttTopic: topic,
      mqttFormat: 'tasmota',
    });
    expect(device).toMatchObject({ meterKind: 'cumulative', mqttTopic: topic, mqttFormat: 'tasmota' });
    await ingest.start();
    await ingest.ready();
    let sent = 0;
    const send = async (arrival: string, body: unknown) => {
      now = Date.parse(arrival);
      await publishJson(pub, topic, body);
      // One at a time: each message must be read with its own arrival clock.
      const n = ++sent;
      await waitUntil(`reading ${n}`, async () => (await storedReadings(t, device.id)) === n);
    };
    const energy = (time: string, total: number) => ({ Time: time, ENERGY: { Total: total, Power: 120 } });
    // 2025-10-26 in Berlin: 02:00–03:00 happens twice (CEST, then CET).
    await send('2025-10-25T23:30:05Z', energy('2025-10-26T01:30:00', 10));
    await publishJson(pub, topic, { Time: '2025-10-26T01:40:00', DS18B20: { Temperature: 21 } }); // no ENERGY: ignored
    await send('2025-10-26T00:30:04Z', energy('2025-10-26T02:30:00', 10.5)); // first 02:30 (CEST)
    await send('2025-10-26T01:30:03Z', energy('2025-10-26T02:30:00', 11.25)); // second 02:30 (CET)
    await send('2025-10-26T02:30:02Z', energy('2025-10-26T03:30:00', 12));
    const berlin = await day(t, device.id, '2025-10-26');
    expect(berlin.hours).toHaveLength(25);
    expect(berlin.hours.slice(1, 5).map((h) => h.kwh)).toEqual([0, 0.5, 0.75, 0.75]);
    expect(berlin.hours[2]!.start).toBe('2025-10-26T02:00:00+02:00');
    expect(berlin.hours[3]!.start).toBe('2025-10-26T02:00:00+01:00');
    expect(berlin.totalKwh).toBe(2);
  });

  it('shelly: Gen2 aenergy.total (Wh) at minute_ts, from a NotifyStatus and from a status topic', async () => {
    const { t, ingest, pub, prefix } = await setUp();
    const topic = `${prefix}/shellyplus1pm-${randomBytes(3).toString('hex')}/events/rpc`;
    const device = await t.createDevice({
      meterKind: 'cumulative',
      timeZone: 'UTC',
      mqttTopic: topic,
      mqttFormat: 'shelly',
    });
    await ingest.start();
    await ingest.ready();
    const minute = (iso: string) => Date.parse(iso) / 1000;
    const notify = (iso: string, wh: number) => ({
      src: 'shellyplus1pm-a8032ab12345',
      dst: 'shellyplus1pm/events',
      method: 'NotifyStatus',
      params: {
        ts: minute(iso) + 0.5,
        'switch:0': { id: 0, aenergy: { total: wh, by_minute: [0, 0, 0], minute_ts: minute(iso) } },
      },
    });
    await publishJson(pub, topic, notify('2026-03-02T08:00:00Z', 1000));
    await publishJson(pub, topic, {
      method: 'NotifyStatus',
      params: { ts: 1, 'switch:0': { id: 0, apower: 5 } },
    });
    await publishJson(pub, topic, notify('2026-03-02T08:30:00Z', 1250.5));
    await publishJson(pub, topic, {
      id: 0,
      output: true,
      apower: 40,
      aenergy: { total: 2000, by_minute: [1, 2, 3], minute_ts: minute('2026-03-02T09:10:00Z') },
    });
    await waitForTotal(t, device.id, '2026-03-02', 1);
    const hours = (await day(t, device.id, '2026-03-02')).hours;
    expect(hours[8]!.kwh).toBeCloseTo(0.2505, 9);
    expect(hours[9]!.kwh).toBeCloseTo(0.7495, 9);
  });

  it('two nodes split the shared subscription; one that stops leaves the group, the other gets every later message', async () => {
    const { t, ingest: a, pub, prefix } = await setUp();
    const b = ingestOf(t, prefix, { clientId: `${prefix}-node-b` });
    const device = await t.createDevice({ meterKind: 'interval' });
    await a.start();
    await b.start();
    try {
      await a.ready();
      await b.ready();
      const topic = a.topics.readingsOf(device.id);
      const at = (i: number) => Date.parse('2026-03-03T00:00:00Z') + i * 60_000;
      for (let i = 0; i < 10; i++) await publishJson(pub, topic, { timestamp: at(i), value: 0.5 });
      await waitUntil('ten readings', async () => (await storedReadings(t, device.id)) === 10);
      await a.stop();
      for (let i = 10; i < 30; i++) await publishJson(pub, topic, { timestamp: at(i), value: 0.5 });
      await waitUntil(
        async () => `thirty readings (have ${await storedReadings(t, device.id)})`,
        async () => (await storedReadings(t, device.id)) === 30,
      );
    } finally {
      await b.stop();
    }
  });

  it('reconnects after the broker connection drops, and gets what was published meanwhile', async () => {
    const { t, pub, prefix } = await setUp();
    const broker = new URL(TEST_MQTT_URL);
    const proxy = await tcpProxy({ host: broker.hostname, port: Number(broker.port || 1883) });
    const proxied = ingestOf(t, prefix, {
      url: `mqtt://127.0.0.1:${proxy.port}`,
      clientId: `${prefix}-proxied`,
      reconnectMinMs: 200,
      reconnectMaxMs: 1_000,
    });
    const device = await t.createDevice({ meterKind: 'interval' });
    try {
      await proxied.start();
      await proxied.ready();
      proxy.dropConnections();
      await waitUntil('the drop noticed', () =>
        proxied.check().then(
          () => false,
          () => true,
        ),
      );
      // Published while the node is away: the broker keeps it in the node's session.
      await publishJson(pub, proxied.topics.readingsOf(device.id), {
        timestamp: '2026-03-04T10:00:00Z',
        value: 2,
      });
      await proxied.ready();
      await waitForTotal(t, device.id, '2026-03-04', 2);
    } finally {
      await proxied.stop();
      await proxy.close();
    }
  });

  it('/readyz reports the broker: 503 while the ingest is not connected, 200 once it is', async () => {
    const { t, ingest, prefix } = await setUp();
    const down = ingestOf(t, prefix, {
      url: 'mqtt://127.0.0.1:1', // nothing listens there
      clientId: `${prefix}-down`,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
    });
    await down.start();
    try {
      readinessChecks.push(down.check);
      const res = await t.request('GET', '/readyz', { token: null });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'unavailable' });
    } finally {
      await down.stop();
    }
    readinessChecks.length = 0;
    readinessChecks.push(ingest.check);
    expect((await t.request('GET', '/readyz', { token: null })).status).toBe(503); // not started yet
    await ingest.start();
    await ingest.ready();
    expect((await t.request('GET', '/readyz', { token: null })).status).toBe(200);
  });
});

async function storedReadings(app: TestApp, id: string): Promise<number> {
  const rows = await app.db.sql<
    { n: number }[]
  >`select count(*)::int as n from readings where device_id = ${id}`;
  return rows[0]?.n ?? 0;
}
