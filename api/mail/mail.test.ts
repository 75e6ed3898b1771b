/**
 * Alert e-mail through a real SMTP server in this process (smtp-server): an
 * opted-in user with an address gets `exceeded` and `silent` alerts of its
 * devices (an admin of every device), plain text and HTML with the device
 * link, at most one per device and hour; `projected` alerts and users who did
 * not opt in get nothing.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Notifier } from '../notify/service.ts';
import { storeAlert, until } from '../notify/testing.ts';
import { silentLog, type TestApp, testApp } from '../testing.ts';

/** Undoes quoted-printable (soft line breaks, =XX) so the test can read the bodies. */
const decodeQuotedPrintable = (raw: string) =>
  raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

let t: TestApp;
let smtp: SMTPServer;
let smtpUrl: string;
const inbox: Mail[] = [];

beforeAll(async () => {
  t = await testApp();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      let raw = '';
      stream.on('data', (c: Buffer) => {
        raw += c.toString('utf8');
      });
      stream.on('end', () => {
        inbox.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: decodeQuotedPrintable(raw),
        });
        done();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => smtp.close(() => r()));
  await t.close();
});

const to = (address: string) => inbox.filter((m) => m.to.includes(address));

/** A notifier that sends e-mail through the test SMTP server. */
const mailer = (from: string, publicUrl: string) =>
  new Notifier({
    sql: t.db.sql,
    log: silentLog,
    allowPrivate: true,
    smtp: { url: smtpUrl, from, publicUrl },
  });

describe('alert e-mail', () => {
  it('PATCH /api/auth/me turns notifyByEmail on and off; it shows on the user', async () => {
    const c = await t.createClient();
    const me = await (await t.request('GET', '/api/auth/me', { token: c.token })).json();
    expect(me.notifyByEmail).toBe(false);
    const on = await t.request('PATCH', '/api/auth/me', { token: c.token, body: { notifyByEmail: true } });
    expect(on.status).toBe(200);
    expect((await on.json()).notifyByEmail).toBe(true);
    const bad = await t.request('PATCH', '/api/auth/me', { token: c.token, body: { notifyByEmail: 'yes' } });
    expect(bad.status).toBe(400);
    const user = await (await t.request('GET', `/api/users/${c.id}`)).json();
    expect(user.notifyByEmail).toBe(true);
  });

  it('sends exceeded alerts to opted-in users, at most one per device and hour', async () => {
    const owner = await t.createClient();
    const quiet = await t.createClient();
    for (const [u, body] of [
      [owner, { email: 'owner@example.test', notifyByEmail: true }],
      [quiet, { email: 'quiet@example.test' }],
    ] as const)
      expect((await t.request('PATCH', '/api/auth/me', { token: u.token, body })).status).toBe(200);
    const heater = await t.createDevice({ ownerId: owner.id, name: 'Heater <1>' });
    const pump = await t.createDevice({ ownerId: owner.id, name: 'Pump' });
    const quietDevice = await t.createDevice({ ownerId: quiet.id, name: 'Fridge' });

    const n = mailer('EMS <alerts@ems.test>', 'https://ems.example.test/');
    try {
      const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
      const first = await storeAlert(t.db.sql, { deviceId: heater.id, hourStart: hour });
      // Same device, same hour of sending: no second e-mail.
      const second = await storeAlert(t.db.sql, {
        deviceId: heater.id,
        hourStart: new Date(hour.getTime() - 3_600_000),
      });
      // `projected` is a warning: never e-mailed. Another device: its own e-mail.
      await storeAlert(t.db.sql, { deviceId: pump.id, kind: 'projected', hourStart: hour });
      await storeAlert(t.db.sql, { deviceId: pump.id, hourStart: new Date(hour.getTime() - 7_200_000) });
      await storeAlert(t.db.sql, { deviceId: quietDevice.id, hourStart: hour });
      await n.fanOut();
      n.start();
      await until(() => to('owner@example.test').length >= 2, 'two e-mails to the owner');
      await new Promise((r) => setTimeout(r, 300));
      const mails = to('owner@example.test');
      expect(mails).toHaveLength(2);
      expect(to('quiet@example.test')).toHaveLength(0);
      const heaterMail = mails.find((m) => m.raw.includes(`/devices/${heater.id}`))!;
      expect(heaterMail.from).toBe('alerts@ems.test');
      expect(heaterMail.raw).toMatch(/Subject: .*exceeded its hourly limit/);
      expect(heaterMail.raw).toContain('Content-Type: text/plain');
      expect(heaterMail.raw).toContain('Content-Type: text/html');
      expect(heaterMail.raw).toContain(`https://ems.example.test/devices/${heater.id}`);
      expect(heaterMail.raw).toContain('Heater &lt;1&gt;');
      expect(mails.some((m) => m.raw.includes(`/devices/${pump.id}`))).toBe(true);
      const [row] = await t.db.sql`select status, alert_id from email_notices
        where user_id = ${owner.id} and device_id = ${heater.id}`;
      expect(row!.status).toBe('sent');
      expect([first, second]).toContain(row!.alert_id);
      const [count] = await t.db
        .sql`select count(*)::int as n from email_notices where device_id = ${heater.id}`;
      expect(count!.n).toBe(1);
    } finally {
      await n.stop();
    }
  });

  it('admins get alerts of every device only when they opt in', async () => {
    const device = await t.createDevice({ name: 'Unowned' });
    const n = mailer('alerts@ems.test', 'http://localhost:8080');
    try {
      await storeAlert(t.db.sql, { deviceId: device.id });
      await n.fanOut();
      const [none] = await t.db
        .sql`select count(*)::int as n from email_notices where device_id = ${device.id}`;
      expect(none!.n).toBe(0);
      expect(
        (
          await t.request('PATCH', '/api/auth/me', {
            body: { email: 'root@example.test', notifyByEmail: true },
          })
        ).status,
      ).toBe(200);
      await storeAlert(t.db.sql, {
        deviceId: device.id,
        kind: 'exceeded',
        hourStart: new Date(Date.now() - 3 * 3_600_000),
      });
      await n.fanOut();
      n.start();
      await until(() => to('root@example.test').length === 1, 'the admin e-mail');
    } finally {
      await n.stop();
    }
  });
});
