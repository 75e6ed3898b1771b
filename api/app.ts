/**
 * The HTTP application: middleware (request id, logging, secure headers,
 * body limit, metrics), the resource routers under /api, the generated
 * OpenAPI document and its reference page, probes, and the dashboard at `/`.
 * One `onError` turns every failure into the error body of docs/API.md.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { createMetrics, type Metrics } from '../ops/metrics.ts';
import { opsRoutes } from '../ops/probes.ts';
import { alertRoutes } from './alerts/index.ts';
import { auditRoutes } from './audit/index.ts';
import { authRoutes } from './auth/index.ts';
import { authenticate } from './auth/principal.ts';
import type { SessionHooks } from './auth/sessions.ts';
import { consumptionRoutes } from './consumption/index.ts';
import type { AppDeps, AppEnv } from './context.ts';
import { deviceRoutes } from './devices/index.ts';
import { ApiError, isDependencyOutage, unavailable } from './errors.ts';
import { fleetRoutes } from './fleet/index.ts';
import { contentSecurityPolicy } from './ops/csp.ts';
import { requestDeadline } from './ops/request-deadline.ts';
import { serveUi } from './ops/static-ui.ts';
import { readingRoutes } from './readings/index.ts';
import { deviceTokenRoutes } from './tokens/device-tokens.ts';
import { type TokenHooks, tokenRoutes, userTokenRoutes } from './tokens/index.ts';
import { type UserHooks, userRoutes } from './users/index.ts';
import { webhookRoutes } from './webhooks/index.ts';

const SCALAR_BUNDLE = fileURLToPath(
  new URL('../node_modules/@scalar/api-reference/dist/browser/standalone.js', import.meta.url),
);

/** API paths that need no token. */
const PUBLIC_PATHS = new Set(['/api/auth/login', '/api/openapi.json', '/api/docs', '/api/docs/scalar.js']);

/** Large enough for 5000 readings with long ISO timestamps and aliases. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface AppExtensions {
  userHooks?: UserHooks;
  tokenHooks?: TokenHooks;
  /** Ends sockets when sessions end (sign out, password change, revoke, role change). */
  sessionHooks?: SessionHooks;
  /** Extra routers mounted under /api (chat, …), added by later layers. */
  mount?: Array<(app: OpenAPIHono<AppEnv>) => void>;
}

export function errorResponse(err: unknown, c: Context, log: AppDeps['log']): Response {
  let apiError: ApiError;
  if (err instanceof ApiError) apiError = err;
  else if (err instanceof HTTPException) {
    apiError =
      err.status === 413
        ? new ApiError('payload_too_large', 'Request body too large')
        : err.status === 401
          ? new ApiError('unauthorized', 'Unauthorized')
          : new ApiError('invalid_request', err.message || 'Invalid request');
  } else if (err instanceof SyntaxError) {
    apiError = new ApiError('invalid_request', 'Malformed JSON in request body');
  } else if (isDependencyOutage(err)) {
    // Postgres or Redis away: the request was fine, the service is degraded (API.md: 503, retry).
    log.warn({ err: (err as Error).message, path: c.req.path }, 'dependency unavailable');
    apiError = unavailable();
  } else {
    log.error({ err, path: c.req.path }, 'unhandled error');
    apiError = new ApiError('internal', 'Internal error; it has been logged');
  }
  return c.json(apiError.toBody(), apiError.status, apiError.headers);
}

export function createApp(
  deps: AppDeps,
  ext: AppExtensions = {},
): { app: OpenAPIHono<AppEnv>; metrics: Metrics } {
  const metrics = createMetrics();
  const app = new OpenAPIHono<AppEnv>();

  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const id = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    c.set('requestId', id);
    c.header('x-request-id', id);
    const started = performance.now();
    await next();
    if (c.req.path !== '/healthz' && c.req.path !== '/metrics') {
      deps.log.info(
        {
          reqId: id,
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  });
  app.use('*', metrics.middleware);
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'same-origin' }));
  app.use('*', contentSecurityPolicy());
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError('payload_too_large', `Request body larger than ${MAX_BODY_BYTES} bytes`);
    },
  });
  // GET and HEAD carry no body: asking for one makes @hono/node-server build a whole Web
  // Request (undici header validation, an AbortSignal) — a sixth of a cached read's CPU.
  app.use('/api/*', (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next),
  );
  // Outermost of the /api handlers, so auth lookups are bounded too.
  app.use('/api/*', requestDeadline());
  app.use('/api/*', authenticate(deps));
  // Who may call is decided here, before what they sent is validated: no token → 401; a device
  // ingest token is a credential for POST /api/readings only, anywhere else it does not
  // authenticate (401); a client's token on the readings intake → 403, whatever the body.
  app.use('/api/*', async (c, next) => {
    if (PUBLIC_PATHS.has(c.req.path)) return next();
    const principal = c.get('principal');
    if (!principal) throw new ApiError('unauthorized', 'Missing or invalid bearer token');
    if (principal.kind === 'device' && c.req.path !== '/api/readings') {
      throw new ApiError('unauthorized', 'A device token is only valid for POST /api/readings');
    }
    if (c.req.path === '/api/readings' && principal.kind === 'user' && principal.user.role !== 'admin') {
      throw new ApiError('forbidden', 'Clients do not post readings; use an admin or device token');
    }
    return next();
  });

  app.route('/api/auth', authRoutes(deps, ext.sessionHooks));
  app.route('/api/users', userRoutes(deps, ext.userHooks, ext.sessionHooks));
  app.route('/api/users', userTokenRoutes(deps));
  app.route('/api/devices', deviceRoutes(deps));
  app.route('/api/devices', deviceTokenRoutes(deps));
  app.route('/api/audit', auditRoutes(deps));
  app.route('/api/devices', consumptionRoutes(deps));
  app.route('/api/readings', readingRoutes(deps));
  app.route('/api/alerts', alertRoutes(deps));
  app.route('/api/fleet', fleetRoutes(deps));
  app.route('/api/tokens', tokenRoutes(deps, ext.tokenHooks));
  app.route('/api/webhooks', webhookRoutes(deps));
  for (const mount of ext.mount ?? []) mount(app);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A login JWT, a personal access token (ems_pat_…), or for POST /api/readings a device token (ems_dev_…)',
  });
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'EMS API',
      version: '1',
      description: 'Energy monitoring: users, metered devices, readings, consumption, alerts, chat.',
    },
  });
  // The reference page's script is served from our own node_modules, not a CDN, so the page
  // works on a closed network too; its inline init script is allowed by hash (ops/csp.ts).
  app.get(
    '/api/docs',
    Scalar({
      url: '/api/openapi.json',
      pageTitle: 'EMS API reference',
      cdn: '/api/docs/scalar.js',
      // Nothing from scalar.com: its fonts and its AI agent's registry calls would leave the
      // network (and the page's CSP refuses them).
      withDefaultFonts: false,
      agent: { disabled: true },
    }),
  );
  app.get('/api/docs/scalar.js', async (c) =>
    c.body(await readFile(SCALAR_BUNDLE), 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
    }),
  );

  app.route('/', opsRoutes(deps, metrics));
  app.all('/api/*', () => {
    throw new ApiError('not_found', 'No such API route');
  });
  app.get('*', (c) => serveUi(c));

  app.notFound((c) => c.json(new ApiError('not_found', 'Not found').toBody(), 404));
  app.onError((err, c) => errorResponse(err, c, deps.log));
  return { app, metrics };
}
