/**
 * The one way a form talks to the server: the server validates, its per-field
 * details are shown beside the field they name (`fieldError('email')`), and
 * anything else becomes one message above the buttons.
 */
import { ref } from 'vue';
import { ApiError, messageOf } from '../api/http.ts';

export function useApiForm(options: { conflictMessage?: string } = {}) {
  const busy = ref(false);
  const error = ref<ApiError | null>(null);
  const message = ref<string | null>(null);

  function fieldError(path: string): string | undefined {
    return error.value?.detailFor(path);
  }

  /** Runs the submission; true when it succeeded. */
  async function run(submit: () => Promise<unknown>): Promise<boolean> {
    busy.value = true;
    error.value = null;
    message.value = null;
    try {
      await submit();
      return true;
    } catch (e) {
      if (e instanceof ApiError) {
        error.value = e;
        message.value =
          e.code === 'conflict' && options.conflictMessage ? options.conflictMessage : e.message;
      } else message.value = messageOf(e);
      return false;
    } finally {
      busy.value = false;
    }
  }

  return { busy, error, message, fieldError, run };
}
