/**
 * What the device chart shows: a day (hourly bars), a week or a month (daily
 * bars), always in the device's own time zone. Ranges are asked for with the
 * instants of local midnights, from core/time.ts like the server's own days.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Consumption, Device, LiveTotal } from '../../../api/contract.ts';
import { addDays, dayStart } from '../../../core/time.ts';
import { consumptionApi } from '../api/client.ts';
import { messageOf } from '../api/http.ts';
import { type ChartShape, shapeConsumption } from '../lib/chartData.ts';
import { addMonths, startOfMonth, startOfWeek, todayIn } from '../lib/time.ts';

export type Period = 'day' | 'week' | 'month';

/** How long the live totals must settle before today's chart is refetched for readings and cost. */
export const REFRESH_AFTER_LIVE_MS = 2000;

/** The local calendar days a period covers: [first, firstOfNext). */
export function periodRange(period: Period, date: string): { first: string; next: string } {
  if (period === 'day') return { first: date, next: addDays(date, 1) };
  if (period === 'week') {
    const first = startOfWeek(date);
    return { first, next: addDays(first, 7) };
  }
  const first = startOfMonth(date);
  return { first, next: addMonths(first, 1) };
}

export function stepPeriod(period: Period, date: string, direction: 1 | -1): string {
  if (period === 'day') return addDays(date, direction);
  if (period === 'week') return addDays(date, 7 * direction);
  return addMonths(startOfMonth(date), direction);
}

export const useConsumption = defineStore('consumption', () => {
  const device = ref<Device | null>(null);
  const period = ref<Period>('day');
  const date = ref<string>('');
  const data = ref<Consumption | null>(null);
  /** Week and month views: the period before, for the compare overlay (null on a day, or if it failed). */
  const previous = ref<Consumption | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let latest = 0;

  const shape = computed<ChartShape | null>(() =>
    data.value ? shapeConsumption(data.value, period.value === 'day' ? 'hour' : 'day', previous.value) : null,
  );
  const isToday = computed(() => device.value !== null && date.value === todayIn(device.value.timeZone));

  async function load(): Promise<void> {
    const d = device.value;
    if (!d || !date.value) return;
    const ticket = ++latest;
    loading.value = true;
    error.value = null;
    try {
      let answer: Consumption;
      let before: Consumption | null = null;
      if (period.value === 'day') {
        answer = await consumptionApi.day(d.id, date.value);
      } else {
        const range = (date: string) => {
          const { first, next } = periodRange(period.value, date);
          const from = new Date(dayStart(first, d.timeZone)).toISOString();
          const to = new Date(dayStart(next, d.timeZone)).toISOString();
          return consumptionApi.range(d.id, from, to, 'day');
        };
        // The previous period is a comparison, not the view: without it the chart still shows.
        [answer, before] = await Promise.all([
          range(date.value),
          range(stepPeriod(period.value, date.value, -1)).catch(() => null),
        ]);
      }
      if (ticket !== latest) return; // the user moved on to another day meanwhile
      data.value = answer;
      previous.value = before;
    } catch (e) {
      if (ticket === latest) {
        data.value = null;
        previous.value = null;
        error.value = messageOf(e);
      }
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  async function show(next: Device, options: { period?: Period; date?: string } = {}): Promise<void> {
    const sameDevice = device.value?.id === next.id;
    device.value = next;
    if (options.period) period.value = options.period;
    if (options.date) date.value = options.date;
    else if (!sameDevice || !date.value) date.value = todayIn(next.timeZone);
    if (!sameDevice) {
      data.value = null;
      previous.value = null;
    }
    await load();
  }

  async function setPeriod(p: Period): Promise<void> {
    period.value = p;
    await load();
  }

  async function setDate(d: string): Promise<void> {
    date.value = d;
    await load();
  }

  async function step(direction: 1 | -1): Promise<void> {
    date.value = stepPeriod(period.value, date.value, direction);
    await load();
  }

  /**
   * Today's chart follows the open hour as `live` totals arrive at once; the hour's
   * reading count and cost (which a live total does not carry) follow from a quiet
   * refetch once the totals have settled for REFRESH_AFTER_LIVE_MS.
   */
  let lastLive: LiveTotal | null = null;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;

  function applyLive(total: LiveTotal): void {
    const current = data.value;
    if (!current || period.value !== 'day' || device.value?.id !== total.deviceId) return;
    const hourStart = Date.parse(total.hourStart);
    const index = current.hours.findIndex((h) => Date.parse(h.start) === hourStart);
    if (index < 0) return;
    const hours = current.hours.map((h, i) => (i === index ? { ...h, kwh: total.kwh } : h));
    const totalKwh = hours.reduce((sum, h) => sum + h.kwh, 0);
    data.value = { ...current, hours, totalKwh };
    lastLive = total;
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void refreshQuietly(), REFRESH_AFTER_LIVE_MS);
  }

  /** The day again from the server, without a loading state; a failure keeps what is shown. */
  async function refreshQuietly(): Promise<void> {
    refreshTimer = null;
    const d = device.value;
    if (!d || period.value !== 'day' || !date.value) return;
    const ticket = latest;
    const live = lastLive;
    try {
      const answer = await consumptionApi.day(d.id, date.value);
      if (ticket !== latest || device.value?.id !== d.id) return; // moved on meanwhile
      data.value = answer;
      // A live total that arrived while the answer was on its way is newer than it.
      if (lastLive && lastLive !== live) applyLive(lastLive);
    } catch {
      // The live totals stay; the next one tries again.
    }
  }

  return {
    device,
    period,
    date,
    data,
    previous,
    loading,
    error,
    shape,
    isToday,
    load,
    show,
    setPeriod,
    setDate,
    step,
    applyLive,
  };
});
