/**
 * Alerts: the open ones behind the bell (with acknowledge), and a recent feed
 * for administrators. A socket `alert` is stored by the server before it is
 * pushed, so merging by id is enough to stay correct across reconnects.
 * Every stored alert is pushed, old backfill too (marked `late`): all go to
 * the bell, but only recent ones are worth a toast (isToastWorthy).
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Alert } from '../../../api/contract.ts';
import { alertsApi } from '../api/client.ts';
import { loadInto, storeList } from '../lib/useRemote.ts';

const HOUR = 3_600_000;

/**
 * Whether a pushed alert deserves a toast at `now`: any alert that is not
 * late, and a late one only when its hour ended within the last hour (a
 * backlog of a year would otherwise flood the screen; it is filed in the bell).
 */
export function isToastWorthy(alert: Alert, now: number): boolean {
  if (!alert.late) return true;
  // Local hours last an hour of real time, so the hour's end is its start + 1 h.
  const hourEnd = Date.parse(alert.hourStart) + HOUR;
  return now - hourEnd <= HOUR;
}

function newestFirst(a: Alert, b: Alert): number {
  return Date.parse(b.createdAt) - Date.parse(a.createdAt);
}

function mergeById(list: Alert[], incoming: Alert[]): Alert[] {
  const byId = new Map(list.map((a) => [a.id, a]));
  for (const alert of incoming) byId.set(alert.id, alert);
  return [...byId.values()].sort(newestFirst);
}

export const useAlerts = defineStore('alerts', () => {
  /** Open and recently acknowledged alerts we know of, newest first. */
  const state = storeList<Alert>();
  const { items, loading, loaded, error } = state;
  const acking = ref<Record<string, boolean>>({});

  const open = computed(() => items.value.filter((a) => a.acknowledgedAt === null));
  const openCount = computed(() => open.value.length);

  function openFor(deviceId: string): Alert[] {
    return open.value.filter((a) => a.deviceId === deviceId);
  }

  /** Replaces what we know of open alerts with the server's list (on start and after a reconnect). */
  async function fetchOpen(): Promise<void> {
    await loadInto(state, async () => {
      const answer = await alertsApi.list('open', { limit: 500 });
      const acknowledged = items.value.filter((a) => a.acknowledgedAt !== null);
      items.value = mergeById(acknowledged, answer.items);
    });
  }

  /**
   * After a reconnect: the open alerts again, and every alert created since the
   * newest one we had (raised and maybe already acknowledged while we were away).
   * Resolves to the alerts that are new to us, oldest first, for the caller to show.
   */
  async function catchUp(): Promise<Alert[]> {
    const known = new Set(items.value.map((a) => a.id));
    const since = items.value[0]?.createdAt;
    await fetchOpen();
    if (since) {
      await loadInto(state, async () => {
        const answer = await alertsApi.list('all', { since, limit: 500 });
        items.value = mergeById(items.value, answer.items);
      });
    }
    return items.value.filter((a) => !known.has(a.id)).reverse();
  }

  /** The feed view: the latest alerts whatever their status. */
  async function fetchRecent(limit = 100): Promise<void> {
    await loadInto(state, async () => {
      const answer = await alertsApi.list('all', { limit });
      items.value = mergeById(items.value, answer.items);
    });
  }

  /** A pushed alert; true when it is new to us (so the caller toasts it once). */
  function receive(alert: Alert): boolean {
    const known = items.value.some((a) => a.id === alert.id);
    items.value = mergeById(items.value, [alert]);
    return !known;
  }

  async function acknowledge(id: string): Promise<void> {
    acking.value = { ...acking.value, [id]: true };
    try {
      const alert = await alertsApi.ack(id);
      items.value = mergeById(items.value, [alert]);
    } finally {
      const { [id]: _done, ...rest } = acking.value;
      acking.value = rest;
    }
  }

  async function acknowledgeAll(): Promise<void> {
    await Promise.all(open.value.map((a) => acknowledge(a.id)));
  }

  function reset(): void {
    items.value = [];
    loaded.value = false;
    error.value = null;
  }

  return {
    items,
    loading,
    loaded,
    error,
    acking,
    open,
    openCount,
    openFor,
    fetchOpen,
    catchUp,
    fetchRecent,
    receive,
    acknowledge,
    acknowledgeAll,
    reset,
  };
});
