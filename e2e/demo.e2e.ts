/**
 * The demo as a newcomer opens it: `ems start --demo` backfills 35 days for the
 * demo devices, and within a minute the admin overview, the alerts, a device's
 * day, week (compared with the week before, with cost) and month all show
 * real data. This is where the README's screenshots come from (with
 * UPDATE_SCREENSHOTS=1 they replace docs/screenshots/, else a temp folder).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Device, FleetSummary } from '../api/contract.ts';
import { ADMIN_PASSWORD, api, openPage, screenshot, signIn, useEms, type WatchedPage } from './harness.ts';

const ems = useEms(['--demo'], 120_000);
const pages: WatchedPage[] = [];

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await screenshot(page, name);
}

/** Scrolls the device page so its consumption card (stats and chart) fills the screenshot. */
async function showConsumption(page: Page): Promise<void> {
  await page
    .locator('#usage-title')
    .evaluate((el) => el.closest('section')?.scrollIntoView({ block: 'start' }));
}

describe('demo', () => {
  it('has 35 days of history, a silent meter and live devices within a minute', async () => {
    let summary: FleetSummary | undefined;
    for (let i = 0; i < 240; i++) {
      summary = await api<FleetSummary>(ems.url, ems.adminToken, 'GET', '/fleet/summary');
      const backfilled = ems.logs.join('').includes('100% (');
      if (backfilled && summary.devices === 4 && summary.silent === 1 && summary.reporting === 3) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(summary).toMatchObject({ devices: 4, assigned: 4, silent: 1, reporting: 3 });
    expect(summary!.todayKwh).toBeGreaterThan(0);
    // The silent meter has no "today" once its own local day turned over since it stopped.
    expect(summary!.top.length).toBeGreaterThanOrEqual(3);
    expect(ems.logs.join('')).toMatch(
      /demo: backfilling 35 days of history… 100% \([\d,]+ \/ [\d,]+ readings\)/,
    );
  });

  it('shows the admin overview, the alerts, and a device by week with cost and comparison', async () => {
    const admin = await openPage(ems.browser, ems.url);
    pages.push(admin);
    await signIn(admin.page, 'admin', ADMIN_PASSWORD);
    await admin.page.getByTestId('top-table').waitFor();
    await admin.page.locator('[data-tile=silent]').filter({ hasText: '1' }).waitFor();
    await shot(admin.page, 'admin-overview');
    await admin.page.goto('/admin/alerts?');
    await admin.page.getByRole('button', { name: 'All recent' }).click();
    await admin.page.getByTestId('alert-feed').waitFor();
    await shot(admin.page, 'admin-alerts');

    const client = await openPage(ems.browser, ems.url);
    pages.push(client);
    await signIn(client.page, 'demo', 'demo-password');
    await client.page.getByTestId('device-card').first().waitFor();
    await shot(client.page, 'client-dashboard');
    const devices = await api<{ items: Device[] }>(ems.url, ems.adminToken, 'GET', '/devices');
    const heatPump = devices.items.find((d) => d.name === 'Heat pump')!;
    expect(heatPump.tariff?.currency).toBe('EUR');
    await client.page.goto(`/devices/${heatPump.id}?period=week`);
    await client.page.getByTestId('compare').waitFor();
    await client.page.getByTestId('total-cost').waitFor();
    await showConsumption(client.page);
    await shot(client.page, 'client-device-week-compare');
    await client.page.getByRole('button', { name: 'Month', exact: true }).click();
    await client.page.getByTestId('consumption-chart').waitFor();
    await showConsumption(client.page);
    await shot(client.page, 'client-device-month');
    await client.page.getByRole('button', { name: 'Day', exact: true }).click();
    await client.page.getByTestId('consumption-chart').waitFor();
    await client.page.getByTestId('total-cost').waitFor();
    await showConsumption(client.page);
    await shot(client.page, 'client-device-day-cost');
    for (const p of pages) expect(p.problems).toEqual([]);
  });
});
