/**
 * The operational surface: probes, Prometheus metrics, the generated
 * OpenAPI document and its reference page, the dashboard (or the placeholder
 * before it is built) at `/`, and the JSON 404 for unknown API routes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { testApp } from '../testing.ts';
import { useTestApp } from '../testing-hooks.ts';
import { serveUi, uiBuilt } from './static-ui.ts';

const t = useTestApp();

describe('probes', () => {
  it('GET /healthz is 200 without a token', async () => {
    const res = await t.request('GET', '/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 when the database answers', async () => {
    const res = await t.request('GET', '/readyz', { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('GET /readyz is 503 when a dependency fails, and while draining', async () => {
    let draining = false;
    const broken = await testApp({
      deps: {
        readinessChecks: [() => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379'))],
        draining: () => draining,
      },
    });
    try {
      const res = await broken.request('GET', '/readyz', { token: null });
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text).error.code).toBe('unavailable');
      expect(text).not.toContain('ECONNREFUSED');
      draining = true;
      const drain = await broken.request('GET', '/readyz', { token: null });
      expect(drain.status).toBe(503);
      expect((await broken.request('GET', '/healthz', { token: null })).status).toBe(200);
    } finally {
      await broken.close();
    }
  });

  it('GET /metrics is Prometheus text with request counts', async () => {
    await t.request('GET', '/api/devices');
    const res = await t.request('GET', '/metrics', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE ems_http_requests_total counter');
    expect(text).toMatch(/ems_http_requests_total\{[^}]*method="GET"[^}]*\} \d+/);
    expect(text).toContain('ems_process_cpu_user_seconds_total');
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document listing every path of docs/API.md, with bearerAuth', async () => {
    const res = await t.request('GET', '/api/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toMatch(/^3\.1\./);
    const expected = {
      '/api/auth/login': ['post'],
      '/api/auth/me': ['get'],
      '/api/users': ['get', 'post'],
      '/api/users/{id}': ['get', 'patch', 'delete'],
      '/api/devices': ['get', 'post'],
      '/api/devices/{id}': ['get', 'patch', 'delete'],
      '/api/devices/{id}/tokens': ['post'],
      '/api/devices/{id}/consumption': ['get'],
      '/api/readings': ['post'],
      '/api/alerts': ['get'],
      '/api/alerts/{id}/ack': ['post'],
      '/api/tokens': ['get', 'post'],
      '/api/tokens/{id}': ['delete'],
    };
    for (const [p, methods] of Object.entries(expected)) {
      expect(doc.paths[p], p).toBeDefined();
      for (const m of methods) expect(doc.paths[p][m], `${m} ${p}`).toBeDefined();
    }
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/api/users'].get.security).toEqual([{ bearerAuth: [] }]);
    // The error body is documented as a schema, and readings document 413.
    expect(doc.components.schemas.Error).toBeDefined();
    expect(doc.paths['/api/readings'].post.responses['413']).toBeDefined();
    expect(doc.paths['/api/readings'].post.responses['202']).toBeDefined();
  });

  it('serves the API reference page at /api/docs', async () => {
    const res = await t.request('GET', '/api/docs', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('/api/openapi.json');
    // Its script comes from this server, not a CDN (the page must work on a closed network).
    expect(html).toContain('src="/api/docs/scalar.js"');
    expect(html).not.toMatch(/https?:\/\/cdn\./);
    const script = await t.request('GET', '/api/docs/scalar.js', { token: null });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });
});

describe('the dashboard and unknown routes', () => {
  it('GET / serves the UI (or, before it is built, the placeholder)', async () => {
    const res = await t.request('GET', '/', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    if (uiBuilt()) {
      expect(html).toMatch(/<script[^>]+type="module"/);
      // SPA routes get the same entry page.
      const deep = await t.request('GET', '/devices/123', { token: null });
      expect(deep.status).toBe(200);
      expect(await deep.text()).toBe(html);
    } else {
      expect(html).toContain('EMS is running');
    }
  });

  it('shows the placeholder when ui/dist has no build, and 404s missing files', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'ems-ui-'));
    try {
      const app = new Hono().get('*', (c) => serveUi(c, `${empty}${path.sep}`));
      const res = await app.request('/');
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('npm run build:ui');
      expect((await app.request('/assets/missing.js')).status).toBe(404);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('does not serve files outside the UI folder', async () => {
    for (const p of ['/..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/../../package.json']) {
      const res = await t.request('GET', p, { token: null });
      expect(await res.text(), p).not.toContain('"devDependencies"');
    }
  });

  it('answers unknown /api routes with a JSON 404 error body', async () => {
    for (const [method, p] of [
      ['GET', '/api/nope'],
      ['POST', '/api/devices/00000000-0000-4000-8000-000000000000/nope'],
      ['PUT', '/api/users'],
    ] as const) {
      const res = await t.request(method, p);
      expect(res.status, `${method} ${p}`).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    }
  });
});
