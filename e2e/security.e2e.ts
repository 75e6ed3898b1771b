/**
 * The hardened defaults in a real browser, against a real `ems start`: every
 * screen of the dashboard, its Socket.IO connection and the API reference
 * (/api/docs) work under the Content-Security-Policy with no violation; the
 * account, audit, user-access and device-token screens render; signing out
 * ends the token on the server. Screenshots go to a temp folder
 * (docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Device, User } from '../api/contract.ts';
import { ADMIN_PASSWORD, api, openPage, SHOTS, signIn, useEms, type WatchedPage } from './harness.ts';

const ems = useEms([], 240_000);
let admin: WatchedPage;
let violations: string[];

async function watchCsp(page: Page): Promise<string[]> {
  const seen: string[] = [];
  await page.exposeFunction('__cspViolation', (v: string) => seen.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __cspViolation(v: string): void }).__cspViolation(
        `${e.violatedDirective} ${e.blockedURI} on ${location.pathname} (${e.sourceFile}:${e.lineNumber})`,
      ),
    );
  });
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) seen.push(m.text());
  });
  return seen;
}

beforeAll(async () => {
  admin = await openPage(ems.browser, ems.url);
  violations = await watchCsp(admin.page);
}, 240_000);

describe('hardened defaults in Chromium', () => {
  it('the dashboard, its live connection and the API reference run under the CSP', async () => {
    const page = admin.page;
    const res = await page.goto('/login');
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(res?.headers()['x-content-type-options']).toBe('nosniff');
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByTitle('Live updates on').waitFor({ timeout: 20_000 }); // Socket.IO connected

    const token = ems.adminToken;
    const client = await api<User>(ems.url, token, 'POST', '/users', {
      username: 'grace',
      password: 'grace-password-1',
      name: 'Grace Hopper',
      role: 'client',
    });
    await api(ems.url, token, 'POST', '/tokens', { name: 'nightly export' }).catch(() => {});
    const device = await api<Device>(ems.url, token, 'POST', '/devices', {
      name: 'Boiler',
      maxHourlyKwh: 2,
      meterKind: 'interval',
      timeZone: 'Europe/Berlin',
      ownerId: client.id,
    });
    const issued = await api<{ token: string }>(ems.url, token, 'POST', `/devices/${device.id}/tokens`, {
      name: 'meter A',
    });
    await api(ems.url, issued.token, 'POST', '/readings', {
      readings: [{ deviceId: device.id, timestamp: new Date(Date.now() - 60_000).toISOString(), value: 0.4 }],
    });

    await page.goto(`/devices/${device.id}`);
    await page.getByTestId('device-tokens').getByText('meter A').waitFor();
    await page.screenshot({ path: join(SHOTS, 'security-device-tokens.png'), fullPage: true });

    await page.goto(`/admin/users/${client.id}`);
    await page.getByTestId('user-access').waitFor();
    await page.screenshot({ path: join(SHOTS, 'security-user-access.png'), fullPage: true });

    await page.goto('/admin/audit');
    await page.getByTestId('audit-table').getByText('device_token.create').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'security-audit.png'), fullPage: false });

    await page.goto('/account');
    await page.getByTestId('password-form').waitFor();
    await page.screenshot({ path: join(SHOTS, 'security-account.png'), fullPage: false });

    const docs = await page.goto('/api/docs');
    expect(docs?.headers()['content-security-policy']).toContain("script-src 'self' 'sha256-");
    await page.getByText('EMS API', { exact: false }).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1500); // let the reference finish rendering its sections
    await page.screenshot({ path: join(SHOTS, 'security-api-docs.png'), fullPage: false });

    // The reference bundle probes `new Function("")` once (zod's "may I compile?" check, caught
    // and answered "no"); that probe is the only refusal allowed.
    expect(violations.filter((v) => !/^script-src eval on \/api\/docs \(.*scalar\.js/.test(v))).toEqual([]);
    expect(admin.problems.filter((p) => !/401|Failed to load resource/.test(p))).toEqual([]);
  }, 120_000);

  it('signing out ends the token on the server', async () => {
    const page = admin.page;
    await page.goto('/');
    const stored = await page.evaluate(() => localStorage.getItem('ems.token'));
    expect(stored).toBeTruthy();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/login'));
    const me = await fetch(`${ems.url}/api/auth/me`, { headers: { authorization: `Bearer ${stored}` } });
    expect(me.status).toBe(401);
  }, 60_000);
});
