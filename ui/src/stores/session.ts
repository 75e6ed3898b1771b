/**
 * Who is signed in. The token lives in localStorage so a reload keeps the
 * session; the user is re-read from GET /api/auth/me on start. When any call
 * answers 401 the session ends with a notice the sign-in page shows. Signing
 * out ends the token on the server too (POST /api/auth/logout), so a copy of it
 * left in storage or a log is worthless.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { User } from '../../../api/contract.ts';
import { authApi } from '../api/client.ts';
import { ApiError, tokenStorage } from '../api/http.ts';

export const useSession = defineStore('session', () => {
  const token = ref<string | null>(tokenStorage.get());
  const user = ref<User | null>(null);
  const expiresAt = ref<string | null>(null);
  /** Shown on the sign-in page: why the user is there. */
  const notice = ref<string | null>(null);
  const restoring = ref(false);

  const signedIn = computed(() => token.value !== null && user.value !== null);
  const isAdmin = computed(() => user.value?.role === 'admin');

  function setToken(value: string | null): void {
    token.value = value;
    tokenStorage.set(value);
  }

  async function login(username: string, password: string): Promise<User> {
    const answer = await authApi.login(username, password);
    setToken(answer.token);
    user.value = answer.user;
    expiresAt.value = answer.expiresAt;
    notice.value = null;
    return answer.user;
  }

  /** Re-reads the user behind a stored token; false when there is none or it is no longer valid. */
  async function restore(): Promise<boolean> {
    if (!token.value) return false;
    if (user.value) return true;
    restoring.value = true;
    try {
      user.value = await authApi.me();
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return false;
      throw error;
    } finally {
      restoring.value = false;
    }
  }

  function logout(reason: string | null = null): void {
    setToken(null);
    user.value = null;
    expiresAt.value = null;
    notice.value = reason;
  }

  /** Signs out on the server too (the token is refused from then on), then locally. */
  async function signOut(reason: string | null = 'You are signed out.'): Promise<void> {
    if (token.value) await authApi.logout().catch(() => {}); // offline: the local sign-out still happens
    logout(reason);
  }

  /** After PATCH /api/auth/me. */
  function setUser(next: User): void {
    user.value = next;
  }

  function expire(): void {
    if (token.value === null) return;
    logout('Your session has expired. Please sign in again.');
  }

  return {
    token,
    user,
    expiresAt,
    notice,
    restoring,
    signedIn,
    isAdmin,
    login,
    restore,
    logout,
    signOut,
    setUser,
    expire,
  };
});
