/**
 * The dashboard end to end, against a real `ems start`: an administrator sets
 * up a client and a device, the client watches it live while a meter posts
 * readings (live total moves, an alert toast appears, the bell counts it), and
 * the two chat with typing indicators and read receipts. Screenshots of each
 * screen are taken every run; with UPDATE_SCREENSHOTS=1 they replace the
 * committed ones in docs/screenshots/ (else they go to a temp folder, so a
 * test run leaves the tree clean). Any uncaught page error fails the run.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Device, User } from '../api/contract.ts';
import { animationsDone, seriousA11yViolations } from './a11y.ts';
import {
  ADMIN_PASSWORD,
  api,
  apiLogin,
  openPage,
  screenshot,
  signIn,
  useEms,
  type WatchedPage,
} from './harness.ts';

const CLIENT = { username: 'ada', password: 'ada-password-42', name: 'Ada Lovelace' };

const ems = useEms();
let admin: WatchedPage;
let client: WatchedPage;
let clientUser: User;
let device: Device;

/** Closes the notices of earlier steps so they do not cover what a screenshot is about. */
async function dismissToasts(page: Page): Promise<void> {
  // One at a time, always the first: a toast may leave on its own between a listing and a click.
  const toasts = page.getByTestId('toast');
  for (let i = 0; i < 20 && (await toasts.count()) > 0; i++) {
    await toasts
      .first()
      .getByRole('button', { name: 'Dismiss' })
      .click({ timeout: 2000 })
      .catch(() => {});
  }
  await toasts.first().waitFor({ state: 'detached' });
}

/**
 * Interval readings (energy since the previous one) over the finished hours of today in
 * Europe/Berlin, up to ten of them; none when the day is less than an hour old.
 */
function readingsForToday(
  deviceId: string,
  now: number,
): { deviceId: string; timestamp: string; value: number }[] {
  const hourStart = now - (now % 3_600_000); // Berlin hours start on UTC hours
  const localHour = Number(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', hourCycle: 'h23' }).format(
      now,
    ),
  );
  const readings = [];
  for (let t = hourStart - Math.min(localHour, 10) * 3_600_000; t < hourStart; t += 15 * 60_000) {
    const hour = new Date(t).getUTCHours();
    // A peak every few hours that crosses the 1 kWh/h limit, gentle otherwise.
    const value = hour % 5 === 0 ? 0.34 : 0.12 + (hour % 3) * 0.04;
    readings.push({ deviceId, timestamp: new Date(t + 60_000).toISOString(), value });
  }
  return readings;
}

/** Polls the API until the runtime has stored an open alert for the device. */
async function waitForAlert(deviceId: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const open = await api<{ items: unknown[] }>(
      ems.url,
      ems.adminToken,
      'GET',
      `/alerts?status=open&deviceId=${deviceId}`,
    );
    if (open.items.length > 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no alert was raised for ${deviceId}`);
}

describe('dashboard', () => {
  it('lets an administrator create a client and a device and assign it', async () => {
    admin = await openPage(ems.browser, ems.url);
    const page = admin.page;
    await signIn(page, 'admin', ADMIN_PASSWORD);
    // Administrators land on the fleet overview.
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByTestId('fleet-tiles').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();

    await page.getByRole('button', { name: '+ New user' }).click();
    const userDialog = page.getByRole('dialog', { name: 'New user' });
    await userDialog.getByLabel('Username').fill(CLIENT.username);
    await userDialog.getByLabel('Full name').fill(CLIENT.name);
    await userDialog.getByLabel('Email').fill('ada@example.com');
    await userDialog.getByLabel('Password').fill(CLIENT.password);
    await userDialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByTestId('users-table').getByRole('link', { name: CLIENT.name }).waitFor();
    await userDialog.waitFor({ state: 'hidden' });

    const users = await api<{ items: User[] }>(ems.url, ems.adminToken, 'GET', '/users?q=ada');
    clientUser = users.items.find((u) => u.username === CLIENT.username)!;
    expect(clientUser.role).toBe('client');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { name: 'Devices' }).waitFor();
    await page.getByRole('button', { name: '+ New device' }).click();
    const deviceDialog = page.getByRole('dialog', { name: 'New device' });
    await deviceDialog.getByLabel('Name').fill('Heat pump');
    await deviceDialog.getByLabel('Hourly limit (kWh)').fill('1');
    await deviceDialog.getByLabel('Address').fill('12 Harbour Street');
    await deviceDialog.getByLabel('Meter kind').selectOption('interval');
    await deviceDialog.getByLabel('Time zone').selectOption('Europe/Berlin');
    await deviceDialog.getByRole('button', { name: 'Create device' }).click();
    await deviceDialog.waitFor({ state: 'hidden' });

    await page.getByLabel('Owner of Heat pump').selectOption(clientUser.id);
    await page.getByText('Heat pump assigned to Ada Lovelace').waitFor();

    const devices = await api<{ items: Device[] }>(
      ems.url,
      ems.adminToken,
      'GET',
      `/devices?ownerId=${clientUser.id}`,
    );
    device = devices.items.find((d) => d.name === 'Heat pump')!;
    expect(device).toMatchObject({ maxHourlyKwh: 1, meterKind: 'interval', timeZone: 'Europe/Berlin' });
    // A night/day tariff, before any reading: the client's charts show what the energy cost.
    await api(ems.url, ems.adminToken, 'PATCH', `/devices/${device.id}`, {
      tariff: {
        currency: 'EUR',
        periods: [
          { from: '00:00', pricePerKwh: 0.18 },
          { from: '07:00', pricePerKwh: 0.32 },
        ],
      },
    });

    await page.getByRole('button', { name: 'Issue ingest token for Heat pump' }).click();
    const token = await page.getByTestId('issued-token').inputValue();
    expect(token.length).toBeGreaterThan(16);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'Copied ✓' }).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByTestId('users-table').waitFor();
    await dismissToasts(page);
    await screenshot(page, 'admin-users');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByTestId('devices-table').waitFor();
  });

  it('shows the client their device, its day chart, and live readings with an alert', async () => {
    const earlier = readingsForToday(device.id, Date.now());
    if (earlier.length > 0) await api(ems.url, ems.adminToken, 'POST', '/readings', { readings: earlier });

    client = await openPage(ems.browser, ems.url);
    const page = client.page;
    await signIn(page, CLIENT.username, CLIENT.password);
    await page.getByTestId('device-card').filter({ hasText: 'Heat pump' }).waitFor();
    await page.getByRole('link', { name: 'Heat pump' }).click();
    await page.getByTestId('device-name').filter({ hasText: 'Heat pump' }).waitFor();
    const chart = page.getByTestId('consumption-chart');
    await chart.waitFor();
    expect(['23', '24', '25']).toContain(await chart.getAttribute('data-bars'));
    if (earlier.length > 0) {
      await page.waitForFunction(
        () => document.querySelector('[data-testid=total-kwh]')?.textContent !== '0 kWh',
      );
    }

    // Wait for the realtime connection before the meter speaks, or the push could be missed.
    await page.getByTitle('Live updates on').waitFor();
    const before = await page.getByTestId('live-kwh').textContent();

    // Two readings inside the current hour (Europe/Berlin hours start on UTC hours) that cross the 1 kWh limit.
    let now = Date.now();
    const hourStart = now - (now % 3_600_000);
    if (now - hourStart < 5_000) {
      await new Promise((r) => setTimeout(r, 5_000));
      now = Date.now();
    }
    const first = Math.max(hourStart + 1_000, now - 120_000);
    await api(ems.url, ems.adminToken, 'POST', '/readings', {
      readings: [
        { deviceId: device.id, timestamp: new Date(first).toISOString(), value: 0.7 },
        { deviceId: device.id, timestamp: new Date(now - 500).toISOString(), value: 0.6 },
      ],
    });
    await page.getByTestId('toast').filter({ hasText: 'Heat pump is over its hourly limit' }).waitFor();
    await page.waitForFunction(() =>
      /1\.3\d* kWh/.test(document.querySelector('[data-testid=live-kwh]')?.textContent ?? ''),
    );
    expect(before).not.toMatch(/1\.3/);
    expect(Number(await page.getByTestId('alert-count').textContent())).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'client-device-chart-alert');

    // The admin's devices page saw the same alert arrive.
    await admin.page.getByTestId('alert-count').waitFor();
    await admin.page
      .getByTestId('devices-table')
      .getByText(/1\.3\d* kWh/)
      .waitFor();
    await screenshot(admin.page, 'admin-devices');

    // The CSV is what the chart shows: one row per local hour, the open hour over the limit. The
    // hour's readings and cost come with the chart's quiet refetch once the live totals settle.
    let rows: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('download-csv').click(),
      ]);
      rows = (await readFile((await download.path())!, 'utf8')).trimEnd().split('\n');
      // 1.3 kWh at the night or the day price, in euros.
      if (rows.some((r) => /,1\.3\d*,[1-9]\d*,1,true,0\.\d+,EUR$/.test(r))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(rows[0]).toBe(
      'device,start,local_date,local_label,time_zone,kwh,readings,max_hourly_kwh,over_limit,cost,currency',
    );
    expect(rows.length - 1).toBe(Number(await chart.getAttribute('data-bars')));
    expect(
      rows.some((r) => /,1\.3\d*,[1-9]\d*,1,true,0\.\d+,EUR$/.test(r)),
      rows.join('\n'),
    ).toBe(true);
    await page.getByTestId('total-cost').waitFor();

    await page.getByTestId('alert-bell').click();
    const panel = page.getByRole('region', { name: 'Open alerts' });
    while ((await panel.getByTestId('alert-item').count()) > 0) {
      const items = await panel.getByTestId('alert-item').count();
      await panel.getByRole('button', { name: 'Acknowledge alert for Heat pump' }).first().click();
      await page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid=alert-item]').length < n,
        items,
      );
    }
    await page.getByText('All clear — no open alerts.').waitFor();
    await page.getByTestId('alert-count').waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
  });

  it('shows reconnecting while offline and catches up on alerts raised meanwhile', async () => {
    const page = client.page;
    const boiler = await api<Device>(ems.url, ems.adminToken, 'POST', '/devices', {
      name: 'Boiler',
      maxHourlyKwh: 0.5,
      meterKind: 'interval',
      timeZone: 'Europe/Berlin',
      ownerId: clientUser.id,
    });
    await page.getByTitle('Live updates on').waitFor();
    await client.context.setOffline(true);
    await page.getByTestId('connection-status').filter({ hasText: 'Reconnecting…' }).waitFor();

    // The meter keeps talking while the browser is offline: this alert is never pushed to it.
    const now = Date.now();
    await api(ems.url, ems.adminToken, 'POST', '/readings', {
      readings: [
        {
          deviceId: boiler.id,
          timestamp: new Date(Math.max(now - 60_000, now - (now % 3_600_000))).toISOString(),
          value: 0.9,
        },
      ],
    });
    await waitForAlert(boiler.id);

    await client.context.setOffline(false);
    await page.getByTitle('Live updates on').waitFor();
    await page.getByTestId('alert-count').filter({ hasText: '1' }).waitFor();
    await page.getByTestId('alert-bell').click();
    await page.getByRole('region', { name: 'Open alerts' }).getByRole('link', { name: 'Boiler' }).waitFor();
    await page.keyboard.press('Escape');
  });

  it('draws a fall-back day with 25 hours, the repeated one labelled twice', async () => {
    const page = client.page;
    await page.goto(`/devices/${device.id}?period=day&date=2026-10-25`);
    const chart = page.getByTestId('consumption-chart');
    await chart.and(page.locator('[data-bars="25"]')).waitFor();
    // The chart's text alternative: the same bars as a table.
    await chart.getByTestId('chart-as-table').click();
    expect(await chart.locator('tbody tr').filter({ hasText: '2026-10-25 02:00' }).count()).toBe(2);
    await page.goto(`/devices/${device.id}?period=day&date=2026-03-29`);
    await chart.and(page.locator('[data-bars="23"]')).waitFor();
    await chart.getByTestId('chart-as-table').click();
    expect(await chart.locator('tbody tr').filter({ hasText: '2026-03-29 02:00' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Month' }).click();
    await chart.and(page.locator('[data-bars="31"]')).waitFor();
  });

  it('fits a phone screen', async () => {
    const phone = await openPage(ems.browser, ems.url, { width: 375, height: 812 });
    await signIn(phone.page, CLIENT.username, CLIENT.password);
    const heatPump = phone.page.getByTestId('device-card').filter({ hasText: 'Heat pump' });
    // The open hour shows at once from today's data, before any live push.
    await heatPump
      .getByTestId('live-kwh')
      .filter({ hasText: /1\.3\d* kWh/ })
      .waitFor();
    const overflow = await phone.page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone.page, 'client-dashboard-375');
    await phone.page.goto(`/devices/${device.id}`);
    await phone.page.getByTestId('consumption-chart').waitFor();
    await screenshot(phone.page, 'client-device-375');
    expect(phone.problems).toEqual([]);
    await phone.context.close();
  });

  it('sends a stale session back to sign-in with a message', async () => {
    const visitor = await openPage(ems.browser, ems.url);
    await visitor.page.goto('/login');
    await visitor.page.evaluate(() => localStorage.setItem('ems.token', 'not-a-valid-token'));
    await visitor.page.goto('/my');
    await visitor.page.getByTestId('login-notice').filter({ hasText: 'Your session has expired' }).waitFor();
    expect(new URL(visitor.page.url()).searchParams.get('redirect')).toBe('/my');
    await visitor.page.getByLabel('Username').fill(CLIENT.username);
    await visitor.page.getByLabel('Password').fill(CLIENT.password);
    await visitor.page.getByRole('button', { name: 'Sign in' }).click();
    await visitor.page.waitForURL((url) => url.pathname === '/my');
    await visitor.context.close();
  });

  it('carries chat between client and admin with typing and read receipts', async () => {
    const cp = client.page;
    const ap = admin.page;
    await cp.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Support' }).click();
    await cp.getByTestId('chat-input').waitFor();
    await ap.goto(`/admin/chat/${clientUser.id}`);
    await ap.getByTestId('chat-input').waitFor();
    await ap.getByTitle('Live updates on').waitFor();
    await cp.getByTitle('Live updates on').waitFor();

    await cp.getByTestId('chat-input').pressSequentially('Why was my heat pump over the limit?');
    await ap.getByTestId('typing').filter({ hasText: 'Ada Lovelace is typing' }).waitFor();
    await cp.getByTestId('chat-input').press('Enter');
    await ap.getByTestId('message').filter({ hasText: 'Why was my heat pump over the limit?' }).waitFor();
    await ap.getByTestId('typing').waitFor({ state: 'detached' });
    // The admin has the conversation open, so the client's message is read at once.
    await cp.getByTestId('seen').waitFor();

    await ap.getByTestId('chat-input').pressSequentially('It ran a defrost cycle at noon.');
    await cp.getByTestId('typing').filter({ hasText: 'Support is typing' }).waitFor();
    await ap.getByRole('button', { name: 'Send' }).click();
    await cp.getByTestId('message').filter({ hasText: 'It ran a defrost cycle at noon.' }).waitFor();
    await ap.getByTestId('seen').waitFor();

    // More clients write in: the inbox holds them all, each with its unread count.
    for (const [username, name, body] of [
      ['grace', 'Grace Hopper', 'Can I raise the limit on my boiler?'],
      ['alan', 'Alan Turing', 'The EV charger shows no readings since noon.'],
    ] as const) {
      const other = await api<User>(ems.url, ems.adminToken, 'POST', '/users', {
        username,
        name,
        password: `${username}-password-1`,
        role: 'client',
      });
      const token = await apiLogin(ems.url, username, `${username}-password-1`);
      await api(ems.url, token, 'POST', `/chat/conversations/${other.id}/messages`, { body });
      await ap
        .getByTestId('conversations')
        .getByRole('link', { name: new RegExp(name) })
        .waitFor();
    }
    expect(await ap.getByTestId('unread-badge').count()).toBe(2);
    await screenshot(ap, 'admin-chat');

    // The assistant toggle: with no GEMINI_API_KEY the assistant says it is offline.
    await cp.getByTestId('ask-assistant').check();
    await cp.getByTestId('chat-input').fill('How much did I use today?');
    await cp.getByTestId('chat-input').press('Enter');
    await cp.locator('[data-testid=message].assistant').first().waitFor();
    await cp.getByText('The assistant is thinking…').waitFor({ state: 'detached' });
    await screenshot(cp, 'client-chat');
  });

  it('compares a week with the one before, in kWh and cost', async () => {
    const page = client.page;
    await page.goto(`/devices/${device.id}?period=week`);
    await page.getByTestId('consumption-chart').waitFor();
    await page.getByTestId('compare').filter({ hasText: 'vs last week' }).waitFor();
    await page.getByTestId('total-cost').waitFor();
  });

  it('has no serious or critical accessibility violations on any main page (axe, WCAG 2.1 AA)', async () => {
    const pages: Array<[WatchedPage, string, string | RegExp]> = [
      [admin, '/admin', 'Overview'],
      [admin, '/admin/users', 'Users'],
      [admin, '/admin/devices', 'Devices'],
      [admin, `/devices/${device.id}`, 'Heat pump'],
      [admin, '/admin/alerts', 'Alerts'],
      [admin, `/admin/chat/${clientUser.id}`, 'Chat'],
      [client, '/my', /Ada/],
      [client, `/devices/${device.id}?period=week`, 'Heat pump'],
      [client, '/support', 'Support'],
    ];
    const found: string[] = [];
    for (const [who, path, heading] of pages) {
      await who.page.goto(path);
      await who.page.getByRole('heading', { name: heading, level: 1 }).first().waitFor();
      await who.page.waitForLoadState('networkidle');
      await animationsDone(who.page);
      for (const v of await seriousA11yViolations(who.page)) found.push(`${path}: ${v}`);
    }
    expect(found).toEqual([]);
  });

  it('raised no uncaught page errors', () => {
    expect(admin.problems).toEqual([]);
    expect(client.problems).toEqual([]);
  });
});
