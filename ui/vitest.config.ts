// The `ui` Vitest project: store and chart-shaping tests in happy-dom. Paths are
// anchored to this file so it runs the same from the repo root or from ui/.
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineProject } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineProject({
  root,
  plugins: [vue()],
  test: {
    name: 'ui',
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
});
