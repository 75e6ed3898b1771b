import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/http.ts';
import { aDevice } from '../test-data.ts';
import DeviceForm from './DeviceForm.vue';

beforeEach(() => setActivePinia(createPinia()));

const device = aDevice({ name: 'Heat pump', meterKind: 'cumulative', timeZone: 'Europe/Berlin' });

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
