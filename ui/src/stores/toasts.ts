/**
 * Short-lived notices in the corner: alerts the moment they arrive, and the
 * outcome of actions ("Device saved"). Alert toasts stay until dismissed or
 * a while longer than the others, because missing one matters more.
 *
 * A group (alerts) shows at most a few toasts at once; what arrives beyond
 * that is counted in one summary toast ("+N more alerts"), so a burst can
 * never cover the screen.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export type ToastKind = 'info' | 'success' | 'warning' | 'danger';

export interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  body?: string;
  /** Router location to open when the toast is clicked. */
  to?: string;
  /** The group a grouped toast belongs to (pushGrouped). */
  group?: string;
}

export type ToastContent = Omit<Toast, 'id' | 'group'>;

const DEFAULT_MS: Record<ToastKind, number> = { info: 4000, success: 3500, warning: 9000, danger: 12000 };

export const useToasts = defineStore('toasts', () => {
  const items = ref<Toast[]>([]);
  let nextId = 1;
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  /** Per group: its summary toast while shown, and how many toasts it stands for. */
  const summaries = new Map<string, { id: number; count: number }>();

  function expireAfter(id: number, durationMs: number): void {
    clearTimeout(timers.get(id));
    if (durationMs > 0)
      timers.set(
        id,
        setTimeout(() => dismiss(id), durationMs),
      );
  }

  function dismiss(id: number): void {
    clearTimeout(timers.get(id));
    timers.delete(id);
    items.value = items.value.filter((t) => t.id !== id);
    for (const [group, summary] of summaries) if (summary.id === id) summaries.delete(group);
  }

  function push(
    toast: ToastContent & { group?: string },
    durationMs: number = DEFAULT_MS[toast.kind],
  ): number {
    const id = nextId++;
    const kept = [...items.value, { ...toast, id }];
    // Five at most: the oldest leave (and a summary that left stops counting).
    for (const old of kept.slice(0, -5)) dismiss(old.id);
    items.value = kept.slice(-5);
    expireAfter(id, durationMs);
    return id;
  }

  /**
   * Shows `toast` unless `max` toasts of `group` are already shown; then it is
   * counted in the group's summary toast (`summary(count)`), which is updated
   * in place and kept up while it grows. Once the summary is gone, toasts show again.
   */
  function pushGrouped(
    group: string,
    toast: ToastContent,
    summary: (count: number) => ToastContent,
    max = 3,
  ): number {
    const current = summaries.get(group);
    if (current && items.value.some((t) => t.id === current.id)) {
      current.count++;
      const content = summary(current.count);
      items.value = items.value.map((t) => (t.id === current.id ? { ...content, id: t.id, group } : t));
      expireAfter(current.id, DEFAULT_MS[content.kind]);
      return current.id;
    }
    const shown = items.value.filter((t) => t.group === group).length;
    if (shown < max) return push({ ...toast, group });
    const content = summary(1);
    const id = push({ ...content, group: `${group}:summary` });
    summaries.set(group, { id, count: 1 });
    return id;
  }

  return { items, push, pushGrouped, dismiss };
});
