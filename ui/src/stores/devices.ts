/**
 * Devices and their live current hour. `items` holds the devices the signed-in
 * user works with (a client's own, or up to the server's maximum page for an
 * admin's owner pickers); the administrators' device list instead pages and
 * searches on the server (`pageItems`, `total`), because there can be
 * thousands. `live` socket events update the open hour of a device;
 * `device:updated` / `device:deleted` keep both lists in step with changes
 * made in another tab or by another administrator.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import type { Device, LiveTotal } from '../../../api/contract.ts';
import {
  consumptionApi,
  type DevicePatch,
  devicesApi,
  type IssuedToken,
  type NewDevice,
} from '../api/client.ts';
import { openHourOf } from '../lib/chartData.ts';
import { todayIn } from '../lib/time.ts';
import { usePagedList } from '../lib/usePagedList.ts';
import { loadInto, storeList } from '../lib/useRemote.ts';

/** The open hour read from today's consumption, until the first `live` push arrives. */
export interface HourSoFar {
  hourStart: string;
  kwh: number;
}

export const useDevices = defineStore('devices', () => {
  const state = storeList<Device>();
  const { items, loading, loaded, error } = state;
  const live = ref<Record<string, LiveTotal>>({});
  const hourSoFar = ref<Record<string, HourSoFar>>({});

  // The administrators' list: one server page at a time (GET /api/devices?q=&unassigned=&limit=&offset=).
  const unassignedOnly = ref(false);
  const list = usePagedList<Device>(
    (query) => devicesApi.list({ ...query, unassigned: unassignedOnly.value || undefined }),
    50,
  );

  const byId = computed(
    () => Object.fromEntries(items.value.map((d) => [d.id, d])) as Record<string, Device>,
  );

  async function fetchAll(): Promise<void> {
    await loadInto(state, async () => {
      // The server's largest page: a client's own devices, or the admins' pickers.
      items.value = (await devicesApi.list({ limit: 500 })).items;
    });
  }

  async function setUnassignedOnly(only: boolean): Promise<void> {
    unassignedOnly.value = only;
    await list.restart();
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
    list.replace(device);
  }

  function forget(id: string): void {
    items.value = items.value.filter((d) => d.id !== id);
    void list.drop(id);
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
          const open = openHourOf(day, now);
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
    list.reset();
    unassignedOnly.value = false;
  }

  return {
    items,
    loading,
    loaded,
    error,
    live,
    hourSoFar,
    byId,
    /** The administrators' page, for PagedTable; the same state is also spelled out below. */
    list: reactive(list),
    pageItems: list.items,
    total: list.total,
    search: list.search,
    unassignedOnly,
    page: list.page,
    pageSize: list.pageSize,
    pageCount: list.pageCount,
    pageLoading: list.loading,
    pageLoaded: list.loaded,
    pageError: list.error,
    fetchAll,
    fetchPage: list.fetchPage,
    setSearch: list.setSearch,
    setUnassignedOnly,
    goToPage: list.goToPage,
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
