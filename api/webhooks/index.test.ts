/**
 * Webhooks end to end against real Postgres and a local receiver: the routes
 * (secret once, list, delete, test ping, delivery log), the Standard Webhooks
 * signature checked by an independent node:crypto implementation, the alert
 * fan-out from the outbox (a client's hooks hear only its own devices, an
 * admin's all), a retry that keeps the webhook-id, and delivery after a
 * simulated crash (the outbox and delivery rows survive the dead node).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Notifier } from '../notify/service.ts';
import { deliveryLogOnce, receiver, storeAlert, until, withDeliveries } from '../notify/testing.ts';
import { silentLog } from '../testing.ts';
import { useTestApp } from '../testing-hooks.ts';
import { claimDueDeliveries } from './repo.ts';

/** The spec, independently: HMAC-SHA256 over "<id>.<timestamp>.<body>" keyed by the secret's bytes. */
function verify(secret: string, headers: Record<string, unknown>, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`)
    .digest();
  return String(headers['webhook-signature'])
    .split(' ')
    .some((sig) => {
      const [version, value] = sig.split(',');
      const given = Buffer.from(value ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

const t = useTestApp({ deps: { webhooks: { allowPrivate: true } } });

const notifier = () => new Notifier({ sql: t.db.sql, log: silentLog, allowPrivate: true, pollMs: 50 });

async function createHook(url: string, token = t.adminToken) {
  const res = await t.request('POST', '/api/webhooks', {
    token,
    body: { url, events: ['alert'], description: 'ops' },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; url: string; secret: string };
}

describe('webhooks', () => {
  it('creates (secret shown once), lists, and deletes, with audit entries', async () => {
    const hook = await createHook('http://127.0.0.1:9/x');
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(hook.secret.slice(6), 'base64')).toHaveLength(32);
    const list = await t.request('GET', '/api/webhooks');
    const text = await list.text();
    expect(text).not.toContain(hook.secret);
    expect(JSON.parse(text).items).toContainEqual({
      id: hook.id,
      url: 'http://127.0.0.1:9/x',
      events: ['alert'],
      description: 'ops',
      createdAt: expect.any(String),
    });
    const found = await (await t.request('GET', '/api/webhooks?q=127.0.0.1:9')).json();
    expect(found.items.map((h: { id: string }) => h.id)).toEqual([hook.id]);
    expect((await (await t.request('GET', '/api/webhooks?q=nothing-like-it')).json()).total).toBe(0);
    // Another user's endpoint is "not found".
    const other = await t.createClient();
    expect((await t.request('DELETE', `/api/webhooks/${hook.id}`, { token: other.token })).status).toBe(404);
    expect((await t.request('POST', `/api/webhooks/${hook.id}/test`, { token: other.token })).status).toBe(
      404,
    );
    expect((await t.request('DELETE', `/api/webhooks/${hook.id}`)).status).toBe(204);
    expect((await t.request('DELETE', `/api/webhooks/${hook.id}`)).status).toBe(404);
    const audit = await (await t.request('GET', '/api/audit?action=webhook.create')).json();
    expect(audit.items.some((e: { targetId: string }) => e.targetId === hook.id)).toBe(true);
    const deleted = await (await t.request('GET', '/api/audit?action=webhook.delete')).json();
    expect(deleted.items.some((e: { targetId: string }) => e.targetId === hook.id)).toBe(true);
  });

  it('refuses bad input with 400', async () => {
    for (const body of [
      { url: 'ftp://example.com/x', events: ['alert'] },
      { url: 'not a url', events: ['alert'] },
      { url: 'https://example.com/x', events: ['nope'] },
      { url: 'https://example.com/x', events: [] },
    ]) {
      const res = await t.request('POST', '/api/webhooks', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_request');
    }
  });

  it('sends a test ping whose signature verifies independently; the log shows it delivered', async () => {
    const rx = await receiver();
    const n = notifier();
    n.start();
    await withDeliveries(n, rx, async () => {
      const hook = await createHook(rx.url);
      expect((await t.request('POST', `/api/webhooks/${hook.id}/test`)).status).toBe(202);
      await until(() => rx.got.length === 1, 'the ping');
      const { headers, body } = rx.got[0]!;
      expect(verify(hook.secret, headers, body)).toBe(true);
      expect(verify(hook.secret, headers, `${body} `)).toBe(false);
      expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(300);
      expect(JSON.parse(body)).toMatchObject({ type: 'ping', timestamp: expect.any(String) });
      const log = await deliveryLogOnce(t, hook.id, 'delivered');
      expect(log).toEqual({
        total: 1,
        items: [
          {
            id: headers['webhook-id'],
            event: 'ping',
            status: 'delivered',
            attempts: 1,
            responseStatus: 200,
            createdAt: expect.any(String),
            deliveredAt: expect.any(String),
          },
        ],
      });
    });
  });

  it("fans an alert out from the outbox: the owner's and the admin's hooks, not another client's", async () => {
    const rxOwner = await receiver();
    const rxAdmin = await receiver();
    const rxOther = await receiver();
    const n = notifier();
    try {
      const owner = await t.createClient();
      const other = await t.createClient();
      const device = await t.createDevice({ ownerId: owner.id, name: 'Boiler' });
      const hOwner = await createHook(rxOwner.url, owner.token);
      await createHook(rxAdmin.url);
      await createHook(rxOther.url, other.token);
      const alertId = await storeAlert(t.db.sql, { deviceId: device.id });
      await n.fanOut();
      n.start();
      await until(() => rxOwner.got.length === 1 && rxAdmin.got.length === 1, 'both deliveries');
      const body = JSON.parse(rxOwner.got[0]!.body);
      expect(body).toMatchObject({
        type: 'alert.created',
        data: { id: alertId, deviceId: device.id, deviceName: 'Boiler', ownerId: owner.id, kind: 'exceeded' },
      });
      expect(verify(hOwner.secret, rxOwner.got[0]!.headers, rxOwner.got[0]!.body)).toBe(true);
      // A second pass finds the outbox entry notified: nothing is sent twice.
      await n.fanOut();
      await new Promise((r) => setTimeout(r, 200));
      expect(rxOwner.got).toHaveLength(1);
      expect(rxOther.got).toHaveLength(0);
    } finally {
      await n.stop();
      await Promise.all([rxOwner.close(), rxAdmin.close(), rxOther.close()]);
    }
  });

  it('retries a failed attempt with the same webhook-id and a fresh signature', async () => {
    const rx = await receiver((n) => (n === 1 ? 500 : 204));
    const n = notifier();
    await withDeliveries(n, rx, async () => {
      const hook = await createHook(rx.url);
      expect((await t.request('POST', `/api/webhooks/${hook.id}/test`)).status).toBe(202);
      n.start();
      await until(() => rx.got.length === 1, 'the first attempt');
      await until(async () => {
        const [row] = await t.db.sql`select attempts from webhook_deliveries where webhook_id = ${hook.id}`;
        return row?.attempts === 1;
      }, 'the failure recorded');
      const [row] = await t.db.sql`select status, response_status, next_attempt_at > now() as later
        from webhook_deliveries where webhook_id = ${hook.id}`;
      expect(row).toEqual({ status: 'pending', response_status: 500, later: true });
      // Skip the backoff wait instead of sleeping through it.
      await t.db.sql`update webhook_deliveries set next_attempt_at = now() where webhook_id = ${hook.id}`;
      n.webhooks.wake();
      await until(() => rx.got.length === 2, 'the retry');
      const [a, b] = rx.got;
      expect(b!.headers['webhook-id']).toBe(a!.headers['webhook-id']);
      expect(b!.body).toBe(a!.body);
      expect(verify(hook.secret, b!.headers, b!.body)).toBe(true);
      const log = await deliveryLogOnce(t, hook.id, 'delivered');
      expect(log.items[0]).toMatchObject({ attempts: 2, responseStatus: 204 });
    });
  });

  it('gives up after 24 hours of failures: the delivery is marked failed', async () => {
    const rx = await receiver(() => 503);
    const n = notifier();
    await withDeliveries(n, rx, async () => {
      const hook = await createHook(rx.url);
      expect((await t.request('POST', `/api/webhooks/${hook.id}/test`)).status).toBe(202);
      // Owed since a day ago: the next failure is past the retry window.
      await t.db.sql`update webhook_deliveries set created_at = now() - interval '24 hours'
        where webhook_id = ${hook.id}`;
      n.start();
      const log = await deliveryLogOnce(t, hook.id, 'failed');
      expect(log.items[0]).toMatchObject({ attempts: 1, responseStatus: 503, deliveredAt: null });
      expect(rx.got).toHaveLength(1);
    });
  });

  it('delivers after a crash: a fan-out rolled back and a worker that died holding its claim lose nothing', async () => {
    const rx = await receiver();
    try {
      const device = await t.createDevice();
      await createHook(rx.url);
      const alertId = await storeAlert(t.db.sql, { deviceId: device.id });
      // Node A claims the outbox entry and dies before COMMIT: the entry is still owed.
      await t.db.sql
        .begin(async (tx) => {
          await tx`select alert_id from alert_outbox where notified_at is null for update skip locked`;
          throw new Error('killed');
        })
        .catch(() => {});
      const [pending] = await t.db.sql`select notified_at from alert_outbox where alert_id = ${alertId}`;
      expect(pending!.notified_at).toBeNull();
      // Node B fans it out (the delivery row is durable), claims the delivery and dies before sending.
      await new Notifier({ sql: t.db.sql, log: silentLog, allowPrivate: true }).fanOut();
      const claimed = await claimDueDeliveries(t.db.sql, 100, 60_000);
      expect(claimed.map((d) => JSON.parse(d.payload).data?.id)).toContain(alertId);
      // Its claim lapses (as it would after claimMs); node C delivers.
      await t.db
        .sql`update webhook_deliveries set claimed_until = now() - interval '1 second' where alert_id = ${alertId}`;
      const n = notifier();
      n.start();
      try {
        await until(() => rx.got.some((r) => JSON.parse(r.body).data?.id === alertId), 'the delivery');
      } finally {
        await n.stop();
      }
      expect(rx.got.filter((r) => JSON.parse(r.body).data?.id === alertId)).toHaveLength(1);
    } finally {
      await rx.close();
    }
  });
});
