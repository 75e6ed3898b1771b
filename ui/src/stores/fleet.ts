/**
 * The fleet at a glance (admin overview): the summary as GET /api/fleet/summary
 * gives it, replaced whenever the server pushes `fleet:summary` (at most once a
 * second, only on change), and fetched again after a reconnect.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { FleetSummary } from '../../../api/contract.ts';
import { fleetApi } from '../api/client.ts';
import { messageOf } from '../api/http.ts';

export const useFleet = defineStore('fleet', () => {
  const summary = ref<FleetSummary | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** When the shown summary arrived (ms), for "updated …" labels. */
  const at = ref<number | null>(null);

  async function fetch(): Promise<void> {
    loading.value = summary.value === null;
    error.value = null;
    try {
      apply(await fleetApi.summary());
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      loading.value = false;
    }
  }

  function apply(next: FleetSummary): void {
    summary.value = next;
    at.value = Date.now();
  }

  function reset(): void {
    summary.value = null;
    error.value = null;
    at.value = null;
  }

  return { summary, loading, error, at, fetch, apply, reset };
});
