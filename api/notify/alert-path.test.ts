/**
 * The whole path with the real runtime: a reading over the limit is stored as
 * an alert by a device actor (with its outbox row, db/device-store.ts), the
 * notifier fans it out from that outbox, and the alert arrives at a webhook
 * receiver with the same id and fields the REST alert list shows.
 */
import { describe, expect, it } from 'vitest';
import { silentLog } from '../testing.ts';
import { useTestApp } from '../testing-hooks.ts';
import { Notifier } from './service.ts';
import { receiver, until } from './testing.ts';

const t = useTestApp({ runtime: true, deps: { webhooks: { allowPrivate: true } } });

describe('alert to webhook', () => {
  it('delivers an alert raised by a reading, as GET /api/alerts shows it', async () => {
    const rx = await receiver();
    const n = new Notifier({ sql: t.db.sql, log: silentLog, allowPrivate: true, pollMs: 50 });
    try {
      const client = await t.createClient();
      const device = await t.createDevice({ maxHourlyKwh: 1, ownerId: client.id });
      const hook = await t.request('POST', '/api/webhooks', {
        token: client.token,
        body: { url: rx.url, events: ['alert'] },
      });
      expect(hook.status).toBe(201);
      n.start();
      const res = await t.request('POST', '/api/readings', {
        body: { readings: [{ deviceId: device.id, timestamp: Date.now() - 60_000, value: 3 }] },
      });
      expect(res.status).toBe(202);
      await t.settle();
      await until(() => rx.got.length > 0, 'the alert webhook');
      const alerts = await (
        await t.request('GET', `/api/alerts?deviceId=${device.id}`, { token: client.token })
      ).json();
      expect(alerts.items).toHaveLength(1);
      const body = JSON.parse(rx.got[0]!.body);
      expect(body.type).toBe('alert.created');
      expect(body.data).toEqual(alerts.items[0]);
    } finally {
      await n.stop();
      await rx.close();
    }
  });
});
