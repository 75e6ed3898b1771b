/**
 * Liveness, readiness and metrics endpoints (outside /api, for probes and
 * scrapers). /readyz is bounded: a dependency that does not answer within
 * READY_DEADLINE_MS counts as down (503), so a probe never hangs on an outage.
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { withDeadline } from '../errors.ts';
import type { Metrics } from './metrics.ts';

const READY_DEADLINE_MS = 2000;

export function opsRoutes(deps: AppDeps, metrics: Metrics) {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    if (deps.draining?.()) return c.json({ status: 'draining' }, 503);
    try {
      await withDeadline(
        Promise.all([deps.sql`select 1`, ...(deps.readinessChecks ?? []).map((check) => check())]),
        READY_DEADLINE_MS,
        'a dependency',
      );
      return c.json({ status: 'ready' });
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'not ready');
      return c.json(
        { status: 'unavailable', error: { code: 'unavailable', message: 'A dependency is not answering' } },
        503,
      );
    }
  });
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
  return app;
}
