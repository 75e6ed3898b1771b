/**
 * A destructive action behind a ConfirmDialog: which item is asked about, the
 * busy flag while the server works, and its error shown in the dialog (which
 * stays open on failure and closes on success). Pass the whole object to
 * ConfirmDialog's `action`.
 */
import { type Ref, reactive, ref, type UnwrapNestedRefs } from 'vue';
import { messageOf } from '../api/http.ts';

export type ConfirmAction<T> = UnwrapNestedRefs<ReturnType<typeof useConfirmAction<T>>>;

export function useConfirmAction<T>(action: (item: T) => Promise<void>) {
  const target = ref(null) as Ref<T | null>;
  const busy = ref(false);
  const error = ref<string | null>(null);

  function ask(item: T): void {
    target.value = item;
    error.value = null;
  }

  async function confirm(): Promise<void> {
    const item = target.value;
    if (item === null) return;
    busy.value = true;
    error.value = null;
    try {
      await action(item);
      target.value = null;
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      busy.value = false;
    }
  }

  function cancel(): void {
    target.value = null;
  }

  return reactive({ target, busy, error, ask, confirm, cancel });
}
