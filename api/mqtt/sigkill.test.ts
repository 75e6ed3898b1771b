/**
 * Invariant 1 over MQTT, with separate processes: an api node that received
 * QoS 1 messages but was SIGKILLed before acknowledging them loses none. The
 * node's Redis answers are held back by a proxy, so the first message is
 * enqueued (durable, and counted by the runtime) but never acknowledged, and
 * the ones behind it are delivered to the node but not yet handled. The node
 * restarts under the same id; the broker redelivers all of them from its
 * persistent session, and dedupe absorbs the one already enqueued: every
 * reading counts exactly once.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { adminToken, type Cluster, client, startCluster } from '../../cli/testing/cluster.ts';
import { type TcpProxy, tcpProxy } from './tcp-proxy.ts';
import { publishJson, randomTopicPrefix, TEST_MQTT_URL, testPublisher, waitUntil } from './testing.ts';

let cluster: Cluster | undefined;
let proxy: TcpProxy | undefined;
let pub: MqttClient | undefined;
afterEach(async () => {
  await pub?.endAsync();
  await cluster?.close();
  await proxy?.close();
  cluster = proxy = pub = undefined;
});

async function metric(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}

describe('MQTT ingest across a SIGKILL', () => {
  it('an api node killed after receiving but before acknowledging loses nothing and counts nothing twice', async () => {
    cluster = await startCluster({ shards: 4 });
    await cluster.start('runtime');
    const redis = new URL(cluster.env.REDIS_URL!);
    proxy = await tcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    const proxied = new URL(redis);
    proxied.port = String(proxy.port);
    const prefix = randomTopicPrefix();
    const mqttEnv = {
      EMS_MQTT_URL: TEST_MQTT_URL,
      EMS_MQTT_TOPIC_PREFIX: prefix,
      EMS_MQTT_CONNECTIONS: '1',
      EMS_NODE_ID: 'api-mqtt', // the restarted node takes over the broker session of this id
    };
    const apiA = await cluster.start('api', { ...mqttEnv, REDIS_URL: proxied.toString() });
    const token = await adminToken(apiA.url);
    const created = await client(apiA.url, token)<{ id: string }>('POST', '/api/devices', {
      name: 'Plug',
      maxHourlyKwh: 1e6,
      meterKind: 'interval',
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await waitUntil('api A subscribed', async () => (await fetch(`${apiA.url}/readyz`)).status === 200);

    pub = await testPublisher();
    const topic = `${prefix}/ems/devices/${id}/readings`;
    const send = (hour: number, value: number) =>
      publishJson(pub!, topic, { timestamp: Date.parse('2026-04-01T00:00:00Z') + hour * 3_600_000, value });
    const stored = async () =>
      (
        await cluster!.sql<{ n: number }[]>`select count(*)::int as n from readings where device_id = ${id}`
      )[0]!.n;
    // One message end to end first: the node's queue for this shard is open before its answers stop.
    await send(-1, 1);
    await waitUntil('the warm-up reading stored', async () => (await stored()) === 1);

    proxy.holdResponses();
    for (let h = 0; h < 5; h++) await send(h, 0.1 * (h + 1));
    // The first message reached Redis and the runtime stored it: received and durable, not acknowledged.
    await waitUntil(
      () => `the first held reading stored; api A said:\n${apiA.logs.slice(-8).join('\n')}`,
      async () => (await stored()) >= 2,
    );
    apiA.signal('SIGKILL');
    await apiA.exited;
    expect(await stored()).toBe(2);

    const apiB = await cluster.start('api', mqttEnv);
    await send(5, 0.6);
    await waitUntil('all seven readings stored', async () => (await stored()) === 7, 30_000);
    // Every message since the hold, including the one already enqueued, came back to the restarted node.
    const accepted = /ems_mqtt_messages_total\{format="plain",result="accepted"\} (\d+)/;
    await waitUntil('redeliveries handled', async () => (await metric(apiB.url, accepted)) === 6);
    const rows = await cluster.sql<{ kwh: string; readings: number }[]>`
      select sum(kwh)::text as kwh, sum(readings)::int as readings from hourly where device_id = ${id}`;
    expect(Number(rows[0]!.kwh)).toBeCloseTo(3.1, 9);
    expect(rows[0]!.readings).toBe(7);

    // Leave no persistent session behind on the shared broker.
    await apiB.signal('SIGTERM');
    await apiB.exited;
    const cleanup = await connectAsync(TEST_MQTT_URL, {
      protocolVersion: 5,
      clientId: `${cluster.prefix}-api-mqtt-0`,
      clean: true,
      properties: { sessionExpiryInterval: 0 },
      reconnectPeriod: 0,
    });
    await cleanup.endAsync();
  }, 90_000);
});
