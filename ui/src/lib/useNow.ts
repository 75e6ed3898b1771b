/**
 * A clock for templates: "5 min ago" labels and "is this hour still open"
 * checks must move on while nothing else changes. One shared timer serves
 * every component that asks, and stops when none does.
 */
import { getCurrentScope, onScopeDispose, type Ref, ref } from 'vue';

const now = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

export function useNow(): Readonly<Ref<number>> {
  if (users++ === 0) {
    now.value = Date.now();
    timer = setInterval(() => {
      now.value = Date.now();
    }, 15_000);
  }
  if (getCurrentScope()) {
    onScopeDispose(() => {
      if (--users === 0) clearInterval(timer);
    });
  }
  return now;
}
