/**
 * The SSRF guard: loopback, private and link-local targets (and a name that
 * resolves to loopback) are refused at creation (400) and at delivery
 * (`failed`, nothing sent), unless EMS_WEBHOOK_ALLOW_PRIVATE. A redirect is
 * never followed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Notifier } from '../notify/service.ts';
import { deliveryLogOnce, receiver, withDeliveries } from '../notify/testing.ts';
import { silentLog, type TestApp, testApp } from '../testing.ts';
import { insertWebhook } from './repo.ts';
import { sendWebhook } from './send.ts';
import { assertPublicTarget, ForbiddenTarget, guardedLookup, isForbiddenAddress } from './ssrf.ts';

const REFUSED = [
  'http://127.0.0.1/hook',
  'http://10.0.0.1/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://localhost:8080/hook',
  'http://[::1]/hook',
  'http://192.168.1.10/hook',
  'http://[::ffff:127.0.0.1]/hook',
];

describe('isForbiddenAddress', () => {
  it('refuses loopback, private, link-local; allows public addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '169.254.169.254',
      '172.16.5.4',
      '192.168.0.1',
      '::1',
      'fe80::1',
      'fd00::1',
      '0.0.0.0',
      '::ffff:10.0.0.1',
    ])
      expect(isForbiddenAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])
      expect(isForbiddenAddress(a), a).toBe(false);
  });

  it('a name resolving to loopback is refused; allowPrivate lets it through', async () => {
    await expect(assertPublicTarget(new URL('http://localhost/x'), false)).rejects.toThrow(
      /private or loopback/,
    );
    await expect(assertPublicTarget(new URL('http://localhost/x'), true)).resolves.toBeUndefined();
  });
});

describe('guardedLookup (the connect-time check against DNS rebinding)', () => {
  it('refuses a name that resolves to loopback, in both callback forms', async () => {
    for (const all of [true, false]) {
      const err = await new Promise<Error | null>((resolve) =>
        guardedLookup('localhost', { all }, (e) => resolve(e)),
      );
      expect(err).toBeInstanceOf(ForbiddenTarget);
    }
  });
});

describe('webhook SSRF guard', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ deps: { webhooks: { allowPrivate: false } } });
  });
  afterAll(() => t.close());

  it.each(REFUSED)('refuses %s at creation with 400', async (url) => {
    const res = await t.request('POST', '/api/webhooks', { body: { url, events: ['alert'] } });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details[0].path).toBe('url');
  });

  it('fails a delivery to a private target at send time and sends nothing', async () => {
    const rx = await receiver();
    // Stored while private targets were allowed (or re-pointed since): the worker still refuses.
    const hook = await insertWebhook(t.db.sql, {
      userId: t.adminId,
      url: rx.url.replace('127.0.0.1', 'localhost'),
      events: ['alert'],
      description: '',
      secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
    });
    const n = new Notifier({ sql: t.db.sql, log: silentLog, allowPrivate: false });
    n.start();
    await withDeliveries(n, rx, async () => {
      expect((await t.request('POST', `/api/webhooks/${hook.id}/test`)).status).toBe(202);
      await deliveryLogOnce(t, hook.id, 'failed');
      expect(rx.got).toHaveLength(0);
    });
  });

  it('does not follow a redirect (a 3xx is a failed attempt)', async () => {
    const rx = await receiver();
    const redirector = createServer((_req, res) => {
      res.writeHead(307, { location: rx.url });
      res.end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    try {
      const { port } = redirector.address() as AddressInfo;
      const out = await sendWebhook(`http://127.0.0.1:${port}/`, {}, '{}', { allowPrivate: true });
      expect(out).toMatchObject({ kind: 'retry', status: 307 });
      expect(rx.got).toHaveLength(0);
    } finally {
      await new Promise<void>((r) => redirector.close(() => r()));
      await rx.close();
    }
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { port } = silent.address() as AddressInfo;
      const out = await sendWebhook(`http://127.0.0.1:${port}/`, {}, '{}', {
        allowPrivate: true,
        timeoutMs: 200,
      });
      expect(out).toMatchObject({ kind: 'retry', status: null, error: expect.stringMatching(/no answer/) });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
