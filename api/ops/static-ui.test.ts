import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { JwtService } from '../auth/jwt.ts';
import { LoginThrottle } from '../auth/throttle.ts';
import type { AppDeps } from '../context.ts';
import { silentLog } from '../testing.ts';

// No database is touched by these paths; the app only needs to be built.
const deps = {
  sql: Object.assign(async () => [], { unsafe: () => '' }) as unknown as AppDeps['sql'],
  jwt: new JwtService('x'.repeat(32), 1),
  log: silentLog,
  throttle: new LoginThrottle(),
} as unknown as AppDeps;

describe('hardened HTTP defaults', () => {
  const { app } = createApp(deps);

  it('a malformed percent-encoding is 400 with the error body, not 500', async () => {
    for (const path of ['/%E0%A4%A', '/assets/%ZZ.js', '/%']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_request');
    }
  });

  it('every response says nosniff; the UI page carries a Content-Security-Policy', async () => {
    const page = await app.request('/');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect((await app.request('/healthz')).headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('EMS_METRICS_TOKEN', () => {
  const { app } = createApp({ ...deps, metricsToken: 'metrics-token-0123456789' });

  it('GET /metrics needs the token when it is set', async () => {
    expect((await app.request('/metrics')).status).toBe(401);
    const wrong = await app.request('/metrics', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const ok = await app.request('/metrics', {
      headers: { authorization: 'Bearer metrics-token-0123456789' },
    });
    expect(ok.status).toBe(200);
    expect((await createApp(deps).app.request('/metrics')).status).toBe(200);
  });
});
