import { enableAutoUnmount, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { aDevice } from '../test-data.ts';
import LiveGauge from './LiveGauge.vue';

const device = aDevice({ maxHourlyKwh: 2, timeZone: 'UTC' });
const openHour = () => new Date(Date.now() - (Date.now() % 3_600_000)).toISOString();

// useNow reads the clock when its first user mounts, so each test starts with none.
enableAutoUnmount(afterEach);
afterEach(() => vi.useRealTimers());

describe('LiveGauge', () => {
  it('says so when the open hour has no readings yet', () => {
    const wrapper = mount(LiveGauge, { props: { device } });
    expect(wrapper.get('[data-testid=live-kwh]').text()).toContain('—');
    expect(wrapper.text()).toContain('No readings yet this hour');
  });

  it('shows a live total against the limit, in words as well as colour', () => {
    const live = {
      deviceId: device.id,
      hourStart: openHour(),
      kwh: 2.5,
      rolling60Kwh: 2.7,
      projectedKwh: 3.1,
      at: new Date().toISOString(),
    };
    const wrapper = mount(LiveGauge, { props: { device, live } });
    expect(wrapper.get('[data-testid=live-kwh]').text()).toContain('2.5 kWh');
    expect(wrapper.text()).toContain('Over the limit');
    expect(wrapper.text()).toContain('Projected 3.1 kWh');
    expect(wrapper.get('[role=meter]').attributes('aria-valuetext')).toBe('2.5 kWh of 2 kWh');
  });

  it("falls back to the hour read from today's data, and ignores an hour that is over", () => {
    const past = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const stale = {
      deviceId: device.id,
      hourStart: past,
      kwh: 9,
      rolling60Kwh: 9,
      projectedKwh: 9,
      at: past,
    };
    const wrapper = mount(LiveGauge, {
      props: { device, live: stale, fallback: { hourStart: openHour(), kwh: 1.7 } },
    });
    expect(wrapper.get('[data-testid=live-kwh]').text()).toContain('1.7 kWh');
    expect(wrapper.text()).toContain('Close to the limit');
  });

  it("ends the open hour on the zone's boundary, not 60 minutes after it began", () => {
    // Australia/Lord_Howe, 2026-10-04: the hour from 02:30 (15:30Z) ends at 03:00 local (16:00Z).
    vi.useFakeTimers({ now: Date.parse('2026-10-03T16:10:00Z'), toFake: ['Date'] });
    const lordHowe = aDevice({ maxHourlyKwh: 2, timeZone: 'Australia/Lord_Howe' });
    const ended = {
      deviceId: lordHowe.id,
      hourStart: '2026-10-03T15:30:00.000Z',
      kwh: 9,
      rolling60Kwh: 9,
      projectedKwh: 9,
      at: '2026-10-03T15:59:00.000Z',
    };
    const wrapper = mount(LiveGauge, {
      props: { device: lordHowe, live: ended, fallback: { hourStart: '2026-10-03T16:00:00.000Z', kwh: 0.4 } },
    });
    expect(wrapper.get('[data-testid=live-kwh]').text()).toContain('0.4 kWh');
  });
});
