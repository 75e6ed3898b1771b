import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/http.ts';
import { aDevice } from '../test-data.ts';
import DeviceForm from './DeviceForm.vue';

beforeEach(() => setActivePinia(createPinia()));

const device = aDevice({ name: 'Heat pump', meterKind: 'cumulative', timeZone: 'Europe/Berlin' });

/** Sets each field (by selector) to its value, then submits the form and lets it settle. */
async function submitWith(wrapper: VueWrapper, fields: Record<string, string | boolean> = {}): Promise<void> {
  for (const [selector, value] of Object.entries(fields)) await wrapper.get(selector).setValue(value);
  await wrapper.get('form').trigger('submit');
  await flushPromises();
}

describe('DeviceForm (editing)', () => {
  it('explains that the meter kind cannot change once there are readings, and offers a new device', async () => {
    const createNew = vi.fn(async () => ({}));
    const wrapper = mount(DeviceForm, {
      props: { device, clients: [], submit: vi.fn(async () => ({})), createNew },
    });
    expect(wrapper.find('[data-testid=meter-kind-note]').exists()).toBe(false);
    await wrapper.get('#device-meter').setValue('interval');
    const note = wrapper.get('[data-testid=meter-kind-note]');
    expect(note.text()).toMatch(/cannot change once the device has readings/);
    await wrapper.get('[data-testid=create-new-device]').trigger('click');
    await flushPromises();
    expect(createNew).toHaveBeenCalledWith(
      expect.objectContaining({
        meterKind: 'interval',
        timeZone: 'Europe/Berlin',
        name: 'Heat pump (new meter)',
      }),
    );
    expect(wrapper.emitted('done')).toHaveLength(1);
  });

  it('shows the server’s 409 for the meter kind with the same offer', async () => {
    const submit = vi.fn(async () => {
      throw new ApiError(409, 'conflict', 'The meter kind cannot change: the device already has readings', [
        { path: 'meterKind', message: 'immutable once the device has readings; create a new device instead' },
      ]);
    });
    const wrapper = mount(DeviceForm, { props: { device, clients: [], submit, createNew: vi.fn() } });
    await wrapper.get('#device-meter').setValue('interval');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.text()).toContain('create a new device instead');
    expect(wrapper.find('[data-testid=create-new-device]').exists()).toBe(true);
    expect(wrapper.emitted('done')).toBeUndefined();
  });

  it('warns that a time-zone change re-buckets the history', async () => {
    const wrapper = mount(DeviceForm, { props: { device, clients: [], submit: vi.fn(async () => ({})) } });
    expect(wrapper.find('[data-testid=zone-note]').exists()).toBe(false);
    await wrapper.get('#device-zone').setValue('Asia/Kolkata');
    expect(wrapper.get('[data-testid=zone-note]').text()).toMatch(/re-bucket/i);
    expect(wrapper.get('[data-testid=zone-note]').text()).toMatch(/alerts keep/i);
  });

  it('says nothing of the kind when creating a device', async () => {
    const wrapper = mount(DeviceForm, { props: { clients: [], submit: vi.fn(async () => ({})) } });
    await wrapper.get('#device-meter').setValue('interval');
    expect(wrapper.find('[data-testid=meter-kind-note]').exists()).toBe(false);
  });
});

describe('DeviceForm (tariff)', () => {
  it('sends a tariff set on a new device, with periods by whole local hour', async () => {
    const submit = vi.fn(async (_input: unknown) => ({}));
    const wrapper = mount(DeviceForm, { props: { clients: [], submit } });
    await wrapper.get('[data-testid=tariff-on]').setValue(true);
    await wrapper.get('button.btn-sm:not(.btn-ghost)').trigger('click'); // + Add a period
    await submitWith(wrapper, {
      '#device-name': 'Boiler',
      '#tariff-currency': 'gbp',
      '[aria-label="Period 2 starts at"]': '07:00',
      '[aria-label="Period 2 price per kWh"]': '0.31',
    });
    expect(submit).toHaveBeenCalledWith(
      expect.objectContaining({
        tariff: {
          currency: 'GBP',
          periods: [
            { from: '00:00', pricePerKwh: 0.25 },
            { from: '07:00', pricePerKwh: 0.31 },
          ],
        },
      }),
    );
  });

  it('leaves an unchanged tariff out of an edit, and shows the server’s detail beside a period', async () => {
    const priced = aDevice({
      tariff: {
        currency: 'EUR',
        periods: [
          { from: '00:00', pricePerKwh: 0.1 },
          { from: '07:00', pricePerKwh: 0.3 },
        ],
      },
    });
    const submit = vi.fn(async (_input: unknown) => {
      throw new ApiError(400, 'invalid_request', 'Invalid request', [
        { path: 'tariff.periods.1.from', message: 'periods must be sorted by from, without repeats' },
      ]);
    });
    const wrapper = mount(DeviceForm, { props: { device: priced, clients: [], submit } });
    await submitWith(wrapper, { '#device-name': 'Renamed' });
    expect(submit.mock.calls[0]![0]).not.toHaveProperty('tariff');
    expect(wrapper.get('[data-testid=tariff-editor]').text()).toContain('periods must be sorted');
  });
});

describe('DeviceForm (silence and MQTT)', () => {
  it('sends the silence limit and the MQTT topic and format, and empty ones as null', async () => {
    const submit = vi.fn(async () => ({}));
    const wrapper = mount(DeviceForm, { props: { clients: [], submit } });
    await submitWith(wrapper, {
      '#device-name': 'Plug 7',
      '#device-silent': '30',
      '#device-mqtt-topic': 'tele/plug-7/SENSOR',
      '#device-mqtt-format': 'tasmota',
    });
    expect(submit).toHaveBeenCalledWith(
      expect.objectContaining({
        silentAfterMinutes: 30,
        mqttTopic: 'tele/plug-7/SENSOR',
        mqttFormat: 'tasmota',
      }),
    );

    const plain = vi.fn(async () => ({}));
    const again = mount(DeviceForm, { props: { device, clients: [], submit: plain } });
    await submitWith(again);
    expect(plain).toHaveBeenCalledWith(
      expect.objectContaining({ silentAfterMinutes: null, mqttTopic: null, mqttFormat: null }),
    );
  });
});
