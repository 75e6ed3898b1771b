// The admin overview: tiles from the summary, replaced live by a pushed summary,
// the top-10 linking to devices, devices over their limit in the current hour,
// and the alerts chart's table alternative.
import { enableAutoUnmount, flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import type { FleetSummary } from '../../../../api/contract.ts';
import { useFleet } from '../../stores/fleet.ts';
import { anAlert, uuid } from '../../test-data.ts';
import { fakeFetch } from '../../test-fetch.ts';
import OverviewView from './OverviewView.vue';

enableAutoUnmount(afterEach);
beforeEach(() => setActivePinia(createPinia()));
afterEach(() => vi.unstubAllGlobals());

const HOUR = 3_600_000;
const thisHour = Math.floor(Date.now() / HOUR) * HOUR;

function summary(over: Partial<FleetSummary> = {}): FleetSummary {
  return {
    devices: 1200,
    assigned: 900,
    reporting: 1100,
    silent: 12,
    overLimitNow: 3,
    liveKwh: 412.5,
    todayKwh: 5230,
    alertsLast24h: Array.from({ length: 24 }, (_, i) => ({
      hourStart: new Date(thisHour - (23 - i) * HOUR).toISOString(),
      exceeded: i === 23 ? 2 : 0,
      projected: i === 22 ? 1 : 0,
      silent: 0,
    })),
    top: [{ deviceId: uuid(), name: 'Kiln', todayKwh: 88, maxHourlyKwh: 10 }],
    ...over,
  };
}

const router = () =>
  createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { template: '<div />' } },
      { path: '/devices/:id', name: 'device', component: { template: '<div />' } },
      { path: '/admin/alerts', name: 'admin-alerts', component: { template: '<div />' } },
    ],
  });

describe('OverviewView', () => {
  it('shows the tiles, the top consumers with links, and who is over the limit now; updates live', async () => {
    const over = anAlert({
      deviceName: 'Oven',
      hourStart: new Date(thisHour).toISOString(),
      kind: 'exceeded',
    });
    const old = anAlert({ deviceName: 'Old', hourStart: new Date(thisHour - 5 * HOUR).toISOString() });
    fakeFetch({
      'GET /api/fleet/summary': () => ({ body: summary() }),
      'GET /api/alerts': () => ({ body: { items: [over, old], total: 2 } }),
    });
    const wrapper = mount(OverviewView, { global: { plugins: [router()] } });
    await flushPromises();
    const tiles = wrapper.get('[data-testid=fleet-tiles]').text();
    expect(tiles).toContain('1,200');
    expect(tiles).toContain('900 assigned');
    expect(tiles).toContain('412.5 kWh');
    expect(wrapper.get('[data-tile=over]').text()).toContain('3');
    const top = wrapper.get('[data-testid=top-table]');
    expect(top.text()).toContain('Kiln');
    expect(top.find('a').attributes('href')).toMatch(/^\/devices\//);
    const overNow = wrapper.get('[data-testid=over-now]').text();
    expect(overNow).toContain('Oven');
    expect(overNow).not.toContain('Old');

    useFleet().apply(summary({ overLimitNow: 0, devices: 1201 }));
    await flushPromises();
    expect(wrapper.get('[data-tile=devices]').text()).toContain('1,201');
    expect(wrapper.get('[data-tile=over]').text()).toContain('0');
  });

  it('offers the alerts chart as a table', async () => {
    fakeFetch({
      'GET /api/fleet/summary': () => ({ body: summary() }),
      'GET /api/alerts': () => ({ body: { items: [], total: 0 } }),
    });
    const wrapper = mount(OverviewView, { global: { plugins: [router()] } });
    await flushPromises();
    const chart = wrapper.get('[data-testid=alerts-per-hour]');
    expect(chart.find('table').exists()).toBe(false);
    await chart.get('button').trigger('click');
    const rows = chart.findAll('tbody tr');
    expect(rows).toHaveLength(24);
    expect(rows[23]!.text()).toContain('2');
    expect(chart.get('button').attributes('aria-pressed')).toBe('true');
  });
});
