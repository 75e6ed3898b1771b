/**
 * Liveness, readiness and metrics endpoints (outside /api, for probes and
 * scrapers). Served by api nodes and, alone, by runtime nodes, so this module
 * needs nothing of the api: the database, a logger, extra readiness checks,
 * the drain flag and the metrics token. With EMS_METRICS_TOKEN set, /metrics
 * needs it as a bearer token (compared in constant time): request counts and
 * paths are reconnaissance. /readyz is bounded: a dependency that does not
 * answer within READY_DEADLINE_MS counts as down (503), so a probe never hangs.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { withDeadline } from '../core/deadline.ts';
import type { Sql } from '../db/connect.ts';
import type { Metrics } from './metrics.ts';

export interface OpsDeps {
  sql: Sql;
  log: Logger;
  /** Extra readiness checks (Redis ping) beside the database. */
  readinessChecks?: Array<() => Promise<void>> | undefined;
  /** Set while draining: /readyz answers 503. */
  draining?: (() => boolean) | undefined;
  /** EMS_METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  metricsToken?: string | undefined;
}

const READY_DEADLINE_MS = 2000;

export function opsRoutes(deps: OpsDeps, metrics: Metrics) {
  const app = new Hono();
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
  const digest = (v: string) => createHash('sha256').update(v).digest();
  const expected = deps.metricsToken ? digest(deps.metricsToken) : undefined;
  app.get('/metrics', async (c) => {
    if (expected) {
      const given = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (!given || !timingSafeEqual(digest(given), expected)) {
        return c.json(
          { error: { code: 'unauthorized', message: 'GET /metrics needs the metrics token' } },
          401,
          { 'www-authenticate': 'Bearer' },
        );
      }
    }
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  });
  return app;
}
