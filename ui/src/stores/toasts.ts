/**
 * Short-lived notices in the corner: alerts the moment they arrive, and the
 * outcome of actions ("Device saved"). Alert toasts stay until dismissed or
 * a while longer than the others, because missing one matters more.
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
}

const DEFAULT_MS: Record<ToastKind, number> = { info: 4000, success: 3500, warning: 9000, danger: 12000 };

export const useToasts = defineStore('toasts', () => {
  const items = ref<Toast[]>([]);
  let nextId = 1;

  function dismiss(id: number): void {
    items.value = items.value.filter((t) => t.id !== id);
  }

  function push(toast: Omit<Toast, 'id'>, durationMs: number = DEFAULT_MS[toast.kind]): number {
    const id = nextId++;
    items.value = [...items.value, { ...toast, id }].slice(-5);
    if (durationMs > 0) setTimeout(() => dismiss(id), durationMs);
    return id;
  }

  return { items, push, dismiss };
});
