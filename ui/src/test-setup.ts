/**
 * Shared test setup for the `ui` project: any Vue warning (or console error)
 * a test did not expect fails that test, so a broken prop or a missing
 * injection cannot hide behind a green run. A test that expects a warning
 * calls `allowWarnings(/pattern/)` first. Likewise a request no test arranged
 * (no `fakeFetch` route) fails the test instead of reaching for the network.
 */
import { afterEach, beforeEach, vi } from 'vitest';

let seen: string[] = [];
let allowed: RegExp[] = [];

export function allowWarnings(...patterns: RegExp[]): void {
  allowed.push(...patterns);
}

beforeEach(() => {
  seen = [];
  allowed = [];
  const record = (...args: unknown[]) => {
    seen.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  vi.spyOn(console, 'warn').mockImplementation(record);
  vi.spyOn(console, 'error').mockImplementation(record);
  vi.stubGlobal('fetch', async (input: string, init?: RequestInit) => {
    seen.push(`Unexpected fetch: ${init?.method ?? 'GET'} ${input}`);
    throw new TypeError('fetch is not arranged in this test');
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  const unexpected = seen.filter((line) => !allowed.some((re) => re.test(line)));
  if (unexpected.length > 0) {
    throw new Error(`Unexpected console warnings:\n${unexpected.join('\n')}`);
  }
});
