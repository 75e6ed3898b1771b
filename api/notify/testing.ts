/**
 * Test support for notifications: an alert stored as the device store stores
 * one (row + outbox entry in one transaction), a local HTTP receiver that
 * records what arrives, and a bounded wait.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sql } from '../../db/connect.ts';
import type { TestApp } from '../testing.ts';
import type { Notifier } from './service.ts';

/** Stores an alert and its outbox entry, as db/device-store.ts does; returns its id. */
export async function storeAlert(
  sql: Sql,
  a: { deviceId: string; kind?: string; hourStart?: Date; kwh?: number },
): Promise<string> {
  const id = randomUUID();
  const hourStart = a.hourStart ?? new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  await sql.begin(async (tx) => {
    await tx`insert into alerts (id, device_id, kind, hour_start, kwh, max_hourly_kwh, late)
      values (${id}, ${a.deviceId}, ${a.kind ?? 'exceeded'}, ${hourStart}, ${a.kwh ?? 3.5}, 2, false)`;
    await tx`insert into alert_outbox (alert_id) values (${id})`;
  });
  return id;
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP receiver on 127.0.0.1; `answer` picks each response's status. */
export async function receiver(answer: (n: number) => number = () => 200) {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = answer(got.length);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    got,
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Runs `test`; afterwards, whatever happened, stops `notifier` and closes the receiver `rx`. */
export async function withDeliveries(
  notifier: Notifier,
  rx: { close(): Promise<void> },
  test: () => Promise<void>,
): Promise<void> {
  try {
    await test();
  } finally {
    await notifier.stop();
    await rx.close();
  }
}

/** Waits (bounded) until `check` is true. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type DeliveryLog = { total: number; items: Array<Record<string, unknown>> };

/** Waits (bounded) until the newest delivery of webhook `id` is `status`; resolves with the delivery log then. */
export async function deliveryLogOnce(
  t: Pick<TestApp, 'request'>,
  id: string,
  status: 'delivered' | 'failed',
): Promise<DeliveryLog> {
  let log: DeliveryLog = { total: 0, items: [] };
  await until(async () => {
    log = (await (await t.request('GET', `/api/webhooks/${id}/deliveries`)).json()) as DeliveryLog;
    return log.items[0]?.status === status;
  }, `a ${status} delivery of ${id}`);
  return log;
}
