/**
 * The one way a form talks to the server: the server validates, its per-field
 * details are shown beside the field they name (`fieldError('email')`), and
 * anything else becomes one message above the buttons.
 */
import { ref } from 'vue';
import { ApiError, messageOf } from '../api/http.ts';

/**
 * `conflictMessage` replaces the server's message of a 409 (e.g. "That username is already
 * taken."); a function may keep the server's own message for some conflicts (returns undefined).
 * `explain` does the same for any error it knows (sign-in's 401 and 429).
 */
export function useApiForm(
  options: {
    conflictMessage?: string | ((e: ApiError) => string | undefined);
    explain?: (e: ApiError) => string | undefined;
  } = {},
) {
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
        const conflict =
          typeof options.conflictMessage === 'function'
            ? options.conflictMessage(e)
            : options.conflictMessage;
        message.value = options.explain?.(e) ?? (e.code === 'conflict' && conflict ? conflict : e.message);
      } else message.value = messageOf(e);
      return false;
    } finally {
      busy.value = false;
    }
  }

  return { busy, error, message, fieldError, run };
}
