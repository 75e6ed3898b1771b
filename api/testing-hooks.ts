/**
 * The per-file test app most api test files share: `const t = useTestApp()` at the
 * top of a file creates it before the file's tests and closes it after them. Kept
 * apart from testing.ts, which benchmarks import outside vitest.
 */
import { afterAll, beforeAll } from 'vitest';
import { type TestApp, type TestAppOptions, testApp } from './testing.ts';

/** The file's TestApp, filled in by beforeAll (use it in tests and hooks, not at module level). */
export function useTestApp(options: TestAppOptions = {}): TestApp {
  const t = {} as TestApp;
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await testApp(options);
    Object.assign(t, app);
  });
  afterAll(() => app?.close());
  return t;
}
