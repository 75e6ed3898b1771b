/**
 * `npm run bench -- mqtt`: readings/s through Mosquitto end to end into the
 * hourly totals, beside the HTTP path in the same run on the same processes
 * (1 api + 1 runtime over Redis; the api ingests from the broker with
 * EMS_MQTT_CONNECTIONS connections in the shared group). Timed from the first
 * publish/POST until every reading is counted in `hourly`.
 *
 * Flow control: the publishers stay at most WINDOW messages ahead of what the
 * api has acknowledged (its ems_mqtt_messages_total). A broker queues only so
 * many messages per subscriber (Mosquitto's max_queued_messages, 1000 by
 * default, which the shared broker of this machine keeps) and drops the rest;
 * a real fleet is paced by its meters' intervals instead.
 */
import { randomBytes } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { TEST_MQTT_URL } from '../api/mqtt/testing.ts';
import { adminToken, type Cluster, client, startCluster } from '../cli/testing/cluster.ts';
import { postUntilAccepted } from './ingest.ts';

export interface MqttBenchRow {
  name: string;
  readings: number;
  messages: number;
  seconds: number;
  perSecond: number;
}

export interface MqttBenchOptions {
  devices: number;
  /** Readings of the one-reading-per-message runs. */
  singleReadings: number;
  /** Readings of the batched runs. */
  batchedReadings: number;
  /** Readings per MQTT message in the batched run (one device per message). */
  perMessage: number;
  /** The api's broker connections (EMS_MQTT_CONNECTIONS). */
  connections: number;
}

const WINDOW = 2000;
const PUBLISHERS = 4;
type Item = { timestamp: number; value: number };

/** Each device's readings in time order, split into messages of `perMessage`, interleaved across devices. */
function messagesFor(ids: string[], total: number, perMessage: number, base: number) {
  const perDevice = Math.ceil(total / ids.length);
  const messages: Array<{ deviceId: string; items: Item[] }> = [];
  for (let start = 0; start < perDevice; start += perMessage) {
    for (const deviceId of ids) {
      const items: Item[] = [];
      for (let k = start; k < Math.min(start + perMessage, perDevice); k++)
        items.push({ timestamp: base + k * 10_000, value: 0.001 });
      messages.push({ deviceId, items });
    }
  }
  return messages;
}

async function visible(cluster: Cluster, total: number) {
  const until = Date.now() + 600_000;
  for (;;) {
    const [row] = await cluster.sql<{ n: number }[]>`select coalesce(sum(readings), 0)::int as n from hourly`;
    if ((row?.n ?? 0) >= total) return;
    if (Date.now() > until) throw new Error(`only ${row?.n} of ${total} readings visible`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function acceptedMessages(apiUrl: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(
    /^ems_mqtt_messages_total\{[^}]*result="(accepted|invalid|ignored)"[^}]*\} (\d+)/gm,
  ))
    n += Number(m[2]);
  return n;
}

async function viaMqtt(
  pubs: MqttClient[],
  apiUrl: string,
  prefix: string,
  messages: Array<{ deviceId: string; items: Item[] }>,
) {
  const before = await acceptedMessages(apiUrl);
  let next = 0;
  let acked = 0;
  let done = false;
  // One poller (not one per publisher): scraping /metrics costs the api CPU it would rather ingest with.
  const poller = (async () => {
    while (!done) {
      acked = (await acceptedMessages(apiUrl)) - before;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await Promise.all(
    pubs.map(async (pub) => {
      while (next < messages.length) {
        while (next - acked > WINDOW) await new Promise((r) => setTimeout(r, 20));
        const m = messages[next++]!;
        const payload = m.items.length === 1 ? m.items[0] : { readings: m.items };
        await pub.publishAsync(`${prefix}/ems/devices/${m.deviceId}/readings`, JSON.stringify(payload), {
          qos: 1,
        });
      }
    }),
  );
  done = true;
  await poller;
  return messages.length;
}

async function viaHttp(
  apiUrl: string,
  token: string,
  messages: Array<{ deviceId: string; items: Item[] }>,
  perRequest: number,
) {
  // Lanes keep each device's readings in order, as in bench/ingest.ts.
  const lanes = Array.from({ length: 4 }, () => [] as Array<{ deviceId: string } & Item>);
  const laneOf = new Map<string, number>();
  for (const m of messages) {
    if (!laneOf.has(m.deviceId)) laneOf.set(m.deviceId, laneOf.size % lanes.length);
    for (const item of m.items) lanes[laneOf.get(m.deviceId)!]!.push({ deviceId: m.deviceId, ...item });
  }
  let requests = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      for (let i = 0; i < lane.length; i += perRequest) {
        requests++;
        await postUntilAccepted(apiUrl, token, lane.slice(i, i + perRequest));
      }
    }),
  );
  return requests;
}

export async function benchMqtt(
  o: MqttBenchOptions,
  onProgress: (m: string) => void = () => {},
): Promise<MqttBenchRow[]> {
  const cluster = await startCluster({ shards: 64 });
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const pubs: MqttClient[] = [];
  try {
    await cluster.start('runtime');
    const api = await cluster.start('api', {
      EMS_MQTT_URL: TEST_MQTT_URL,
      EMS_MQTT_TOPIC_PREFIX: prefix,
      EMS_MQTT_CONNECTIONS: String(o.connections),
    });
    const token = await adminToken(api.url);
    const call = client(api.url, token);
    const ids: string[] = [];
    for (let i = 0; i < o.devices; i++) {
      const res = await call<{ id: string }>('POST', '/api/devices', {
        name: `Bench ${i}`,
        maxHourlyKwh: 1e6,
      });
      ids.push(res.body.id);
    }
    for (let i = 0; i < PUBLISHERS; i++)
      pubs.push(await connectAsync(TEST_MQTT_URL, { protocolVersion: 5, reconnectPeriod: 0 }));
    for (;;) {
      if ((await fetch(`${api.url}/readyz`)).status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }

    const rows: MqttBenchRow[] = [];
    let counted = 0;
    // Each run writes its own day, so every run's readings are new (not deduplicated away).
    let day = 0;
    const run = async (
      name: string,
      total: number,
      perMessage: number,
      send: (m: ReturnType<typeof messagesFor>) => Promise<number>,
    ) => {
      const base = Date.now() - (10 + day++) * 86_400_000;
      const messages = messagesFor(ids, total, perMessage, base);
      const readings = messages.reduce((n, m) => n + m.items.length, 0);
      onProgress(`mqtt bench: ${name}…`);
      const started = performance.now();
      const sent = await send(messages);
      await visible(cluster, counted + readings);
      const seconds = (performance.now() - started) / 1000;
      counted += readings;
      rows.push({ name, readings, messages: sent, seconds, perSecond: readings / seconds });
    };
    await run('HTTP, 1 reading per request (4 in flight)', o.singleReadings, 1, (m) =>
      viaHttp(api.url, token, m, 1),
    );
    await run(`MQTT QoS 1, 1 reading per message (${PUBLISHERS} publishers)`, o.singleReadings, 1, (m) =>
      viaMqtt(pubs, api.url, prefix, m),
    );
    await run(
      `HTTP, ${o.perMessage} readings per request (4 in flight)`,
      o.batchedReadings,
      o.perMessage,
      (m) => viaHttp(api.url, token, m, o.perMessage),
    );
    await run(
      `MQTT QoS 1, ${o.perMessage} readings per message (one device)`,
      o.batchedReadings,
      o.perMessage,
      (m) => viaMqtt(pubs, api.url, prefix, m),
    );
    await run('HTTP, 5000 readings per request (4 in flight)', o.batchedReadings, o.perMessage, (m) =>
      viaHttp(api.url, token, m, 5000),
    );
    return rows;
  } finally {
    for (const p of pubs) await p.endAsync().catch(() => undefined);
    const api = cluster.nodes.find((n) => n.role === 'api');
    await cluster.close();
    // The api's persistent sessions would outlive the run on the shared broker by a day: end them.
    for (let i = 0; api && i < o.connections; i++) {
      const c = await connectAsync(TEST_MQTT_URL, {
        protocolVersion: 5,
        clientId: `${cluster.prefix}-${api.nodeId}-${i}`,
        clean: true,
        properties: { sessionExpiryInterval: 0 },
        reconnectPeriod: 0,
      }).catch(() => undefined);
      await c?.endAsync();
    }
  }
}
