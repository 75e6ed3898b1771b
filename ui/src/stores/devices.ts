/**
 * Devices and their live current hour. Admins see all devices, clients their
 * own (the server decides). `live` socket events update the open hour of a
 * device; `device:updated` / `device:deleted` keep the list in step with
 * changes made in another tab or by another administrator.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Device, LiveTotal } from '../../../api/contract.ts';
import {
  consumptionApi,
  type DevicePatch,
  devicesApi,
  type IssuedToken,
  type NewDevice,
} from '../api/client.ts';
import { messageOf } from '../api/http.ts';
import { todayIn } from '../lib/time.ts';

/** The open hour read from today's consumption, until the first `live` push arrives. */
export interface HourSoFar {
  hourStart: string;
  kwh: number;
}

export const useDevices = defineStore('devices', () => {
  const items = ref<Device[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const live = ref<Record<string, LiveTotal>>({});
  const hourSoFar = ref<Record<string, HourSoFar>>({});

  const byId = computed(
    () => Object.fromEntries(items.value.map((d) => [d.id, d])) as Record<string, Device>,
  );

  async function fetchAll(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      items.value = (await devicesApi.list()).items;
      loaded.value = true;
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      loading.value = false;
    }
  }

  async function fetchOne(id: string): Promise<Device> {
    const device = await devicesApi.get(id);
    upsert(device);
    return device;
  }

  function upsert(device: Device): void {
    const exists = items.value.some((d) => d.id === device.id);
    items.value = exists
      ? items.value.map((d) => (d.id === device.id ? device : d))
      : [...items.value, device];
  }

  function forget(id: string): void {
    items.value = items.value.filter((d) => d.id !== id);
    const { [id]: _gone, ...rest } = live.value;
    live.value = rest;
  }

  async function create(input: NewDevice): Promise<Device> {
    const device = await devicesApi.create(input);
    upsert(device);
    return device;
  }

  async function update(id: string, patch: DevicePatch): Promise<Device> {
    const device = await devicesApi.update(id, patch);
    upsert(device);
    return device;
  }

  async function remove(id: string): Promise<void> {
    await devicesApi.remove(id);
    forget(id);
  }

  function issueToken(id: string): Promise<IssuedToken> {
    return devicesApi.issueToken(id);
  }

  /** Live totals arrive at most once a second per device; an older one never replaces a newer one. */
  function applyLive(total: LiveTotal): void {
    const previous = live.value[total.deviceId];
    if (previous && Date.parse(previous.at) > Date.parse(total.at)) return;
    live.value = { ...live.value, [total.deviceId]: total };
  }

  /** Reads the open hour of each device from today's consumption (pushes only say what changes). */
  async function seedOpenHours(now: number = Date.now(), only: Device[] = items.value): Promise<void> {
    await Promise.all(
      only.map(async (device) => {
        try {
          const day = await consumptionApi.day(device.id, todayIn(device.timeZone, now));
          const open = day.hours.find((h) => {
            const start = Date.parse(h.start);
            return start <= now && now < start + 3_600_000;
          });
          if (open)
            hourSoFar.value = { ...hourSoFar.value, [device.id]: { hourStart: open.start, kwh: open.kwh } };
        } catch {
          // The gauge simply waits for the live feed.
        }
      }),
    );
  }

  function ownedBy(ownerId: string): Device[] {
    return items.value.filter((d) => d.ownerId === ownerId);
  }

  function reset(): void {
    items.value = [];
    live.value = {};
    hourSoFar.value = {};
    loaded.value = false;
    error.value = null;
  }

  return {
    items,
    loading,
    loaded,
    error,
    live,
    hourSoFar,
    byId,
    fetchAll,
    fetchOne,
    upsert,
    forget,
    create,
    update,
    remove,
    issueToken,
    applyLive,
    seedOpenHours,
    ownedBy,
    reset,
  };
});
