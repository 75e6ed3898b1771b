/**
 * Test support shared by the multi-process tests: a steady load of readings
 * round-robin over api nodes (a refused batch is resent until accepted), the
 * exact totals it should produce, and who holds each shard's lease.
 */
import { expect } from 'vitest';
import { createRedisDrivers } from '../../runtime/redis/index.ts';
import type { Cluster } from './cluster.ts';

/** One POST of the load: when it was sent and answered (Date.now()), and its status (0: network error, -1: no answer within the client timeout). */
export interface LoadResponse {
  sentAt: number;
  doneAt: number;
  status: number;
}

export interface Load {
  stop(): Promise<void>;
  /** Accepted readings per device, in milli-kWh, and their count. */
  expected: Map<string, { milli: number; count: number }>;
  batches: number;
  /** Every attempt, in order: what fault tests check (no 500, no hang, 503 while Redis is away). */
  responses: LoadResponse[];
}

/** A client waits this long before it calls a request hung (API.md promises an answer within 5 s). */
export const CLIENT_TIMEOUT_MS = 10_000;

async function post(url: string, token: string, body: unknown): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(`${url}/api/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch (err) {
    return { status: (err as Error).name === 'TimeoutError' ? -1 : 0, body: null };
  }
}

/** Posts batches round-robin over the api nodes until stopped; a failed batch is resent until accepted. */
export function startLoad(
  urls: string[],
  token: string,
  deviceIds: string[],
  /** Timestamp of the first readings; default three days ago (alerts of such old hours are stored, not pushed). */
  baseMs = Date.now() - 3 * 86_400_000,
  /** Pause between accepted batches. */
  paceMs = 20,
): Load {
  const expected = new Map(deviceIds.map((id) => [id, { milli: 0, count: 0 }]));
  let running = true;
  let seq = 0;
  const base = baseMs;
  const load: Load = { expected, batches: 0, responses: [], stop: async () => {} };
  const loop = (async () => {
    while (running) {
      const readings = [];
      for (let i = 0; i < 400; i++) {
        const n = seq++;
        const deviceId = deviceIds[n % deviceIds.length]!;
        readings.push({
          deviceId,
          timestamp: base + Math.floor(n / deviceIds.length) * 1000,
          value: ((n % 9) + 1) / 1000,
        });
      }
      for (let attempt = 0; ; attempt++) {
        const sentAt = Date.now();
        const res = await post(urls[(load.batches + attempt) % urls.length]!, token, { readings });
        load.responses.push({ sentAt, doneAt: Date.now(), status: res.status });
        if (res.status === 202) break;
        if (res.status > 0 && res.status < 500)
          throw new Error(`refused: ${res.status} ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const r of readings) {
        const e = expected.get(r.deviceId)!;
        e.milli += Math.round(r.value * 1000);
        e.count++;
      }
      load.batches++;
      // A few batches pipelined in sequence: steady, not flooding.
      await new Promise((r) => setTimeout(r, paceMs));
    }
  })();
  load.stop = async () => {
    running = false;
    await loop;
  };
  return load;
}

export async function totals(cluster: Cluster) {
  const rows = await cluster.sql<{ id: string; kwh: string; n: number }[]>`
    select device_id as id, sum(kwh)::text as kwh, sum(readings)::int as n from hourly group by device_id`;
  return new Map(rows.map((r) => [r.id, { kwh: r.kwh, n: r.n }]));
}

export async function waitForTotals(cluster: Cluster, load: Load, timeoutMs = 90_000) {
  const want = [...load.expected.values()].reduce((n, e) => n + e.count, 0);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = [...(await totals(cluster)).values()].reduce((n, e) => n + e.n, 0);
    if (got >= want) return;
    if (Date.now() > until) throw new Error(`only ${got} of ${want} readings reached the aggregates`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function expectExactTotals(cluster: Cluster, load: Load) {
  const got = await totals(cluster);
  for (const [id, e] of load.expected) {
    const row = got.get(id);
    expect(row?.n, `readings of ${id}`).toBe(e.count);
    expect(Number(row?.kwh), `kWh of ${id}`).toBe(e.milli / 1000);
  }
}

/**
 * Invariant 3 under faults: every device-hour whose total is over the
 * device's limit has exactly one `exceeded` alert, and no other hour has one.
 * Returns how many device-hours were over.
 */
export async function expectOneExceededPerHourOver(cluster: Cluster): Promise<number> {
  const over = await cluster.sql<{ id: string; hour: string }[]>`
    select h.device_id as id, h.hour_start::text as hour from hourly h join devices d on d.id = h.device_id
    where h.kwh > d.max_hourly_kwh order by 1, 2`;
  const alerts = await cluster.sql<{ id: string; hour: string; n: number }[]>`
    select device_id as id, hour_start::text as hour, count(*)::int as n from alerts
    where kind = 'exceeded' group by 1, 2 order by 1, 2`;
  expect(alerts.filter((a) => a.n !== 1)).toEqual([]);
  expect(alerts.map((a) => `${a.id} ${a.hour}`)).toEqual(over.map((o) => `${o.id} ${o.hour}`));
  return over.length;
}

/** The lease holder of every shard, from Redis. */
export async function holders(cluster: Cluster, shards: number): Promise<Array<string | null>> {
  const drivers = createRedisDrivers({ url: cluster.env.REDIS_URL!, prefix: cluster.prefix });
  try {
    return await Promise.all(Array.from({ length: shards }, (_, s) => drivers.leases.holderOf(s)));
  } finally {
    await drivers.close();
  }
}
