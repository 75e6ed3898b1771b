/** Builds the dashboard with Vite when ui/dist is missing (what `npm start` asks for). */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uiBuilt } from '../api/ops/static-ui.ts';
import type { Logger } from './logger.ts';

export async function ensureUiBuilt(log: Logger): Promise<void> {
  if (uiBuilt()) return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  log.info('building the dashboard (first start only)…');
  const started = performance.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      ['node_modules/vite/bin/vite.js', 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'],
      {
        cwd: root,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.on('exit', (c) => resolve(c ?? 1));
    child.on('error', () => resolve(1));
  });
  if (code !== 0) log.warn('the dashboard could not be built; the api still runs (see the output above)');
  else log.info({ ms: Math.round(performance.now() - started) }, 'dashboard built');
}
