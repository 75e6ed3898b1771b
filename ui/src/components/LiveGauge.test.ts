import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { aDevice } from '../test-data.ts';
import LiveGauge from './LiveGauge.vue';

const device = aDevice({ maxHourlyKwh: 2, timeZone: 'UTC' });
const openHour = () => new Date(Date.now() - (Date.now() % 3_600_000)).toISOString();

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
});
