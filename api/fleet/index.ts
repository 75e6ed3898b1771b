/**
 * GET /api/fleet/summary (admin): the fleet right now — how many devices,
 * how many report, how much they draw this hour and used today (each in its
 * own local day), who is over the limit, the last day's alerts by hour and
 * the ten largest consumers today (docs/API.md, Fleet).
 */
import { requireAdmin } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { FleetSummary } from '../contract.ts';
import { errors, json, newRouter, routeBuilder } from '../router.ts';
import { fleetSummary } from './repo.ts';

const route = routeBuilder(['fleet'])('get', '/summary', 'The fleet at a glance (admin)', {
  responses: { 200: json(FleetSummary, 'The fleet summary'), ...errors(401, 403) },
});

export function fleetRoutes(deps: AppDeps) {
  const app = newRouter();
  app.openapi(route, async (c) => {
    requireAdmin(c);
    return c.json(await fleetSummary(deps.sql), 200);
  });
  return app;
}
