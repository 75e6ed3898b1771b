/**
 * POST /api/readings — the front door of the reading path. The whole request
 * is validated first (any bad item refuses all of it), devices are checked,
 * then readings are grouped by shard and appended to the shard queues; 202 is
 * answered only after every queue has them (durable in Redis, or in the
 * in-memory queue of a single process). Bounded: if the queue does not take
 * them within ENQUEUE_DEADLINE_MS the answer is 503 `unavailable` (the client
 * resends; readings are deduplicated), never a late 202 and never a hang.
 */
import { z } from '@hono/zod-openapi';
import { requirePrincipal } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { ApiError, unavailable, withDeadline } from '../errors.ts';
import { errors, json, jsonBody, newRouter, routeBuilder } from '../router.ts';
import { processDeviceInvalidations } from './device-invalidations.ts';
import { enqueueReadings } from './enqueue.ts';
import { KnownDevices } from './known-devices.ts';
import { tooOldForRetention } from './retention.ts';
import { ReadingsBody } from './schema.ts';

/** With the auth and device lookups (1.5 s each at most) this keeps the answer under API.md's 5 s. */
const ENQUEUE_DEADLINE_MS = 2500;

const Accepted = z.object({ accepted: z.number().int() }).openapi('ReadingsAccepted');

const route = routeBuilder(['readings']);
const post = route('post', '/', 'Post meter readings (1–5000); 202 once durable', {
  request: jsonBody(ReadingsBody),
  responses: {
    202: json(Accepted, 'Accepted; will be in the aggregates shortly'),
    ...errors(400, 401, 403, 413, 422, 503),
  },
});

export function readingRoutes(deps: AppDeps) {
  const app = newRouter();
  const known = new KnownDevices(deps.sql, deps.deviceInvalidations ?? processDeviceInvalidations);

  app.openapi(post, async (c) => {
    const principal = requirePrincipal(c);
    const { readings } = c.req.valid('json');
    if (principal.kind === 'device') {
      const i = readings.findIndex((r) => r.deviceId !== principal.deviceId);
      if (i >= 0) {
        throw new ApiError('forbidden', 'This device token may only post readings for its own device', [
          { path: `readings.${i}.deviceId`, message: 'not the token’s device' },
        ]);
      }
    }
    const unknown = await known.missing(readings.map((r) => r.deviceId));
    if (unknown.size > 0) {
      const details = readings
        .map((r, i) => ({ r, i }))
        .filter(({ r }) => unknown.has(r.deviceId))
        .slice(0, 50)
        .map(({ i }) => ({ path: `readings.${i}.deviceId`, message: 'unknown device' }));
      throw new ApiError('unprocessable', `Unknown device: ${[...unknown][0]}`, details);
    }
    const tooOld = tooOldForRetention(readings, deps.rawRetentionDays, Date.now());
    if (tooOld) throw tooOld;

    try {
      await withDeadline(
        enqueueReadings(deps.producer, readings, deps.shards),
        ENQUEUE_DEADLINE_MS,
        'the reading queue',
      );
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'enqueue failed; answering 503');
      throw unavailable('The reading queue is unavailable; retry (readings are deduplicated)');
    }
    return c.json({ accepted: readings.length }, 202);
  });

  return app;
}
