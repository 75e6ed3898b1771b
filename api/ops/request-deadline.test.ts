import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../context.ts';
import { excludingDeadline, requestDeadline } from './request-deadline.ts';

describe('requestDeadline', () => {
  const app = new Hono<AppEnv>();
  app.use('*', requestDeadline(100));
  app.get('/slow', async (c) => {
    await new Promise((r) => setTimeout(r, 400));
    return c.json({ ok: true });
  });
  app.get('/fast', (c) => c.json({ ok: true }));
  // Password hashing on a busy machine: slow, but our CPU, not a dependency.
  app.get('/hashing', async (c) => {
    await excludingDeadline(c, () => new Promise((r) => setTimeout(r, 300)));
    return c.json({ ok: true });
  });
  app.get('/hashing-then-hang', async (c) => {
    await excludingDeadline(c, () => new Promise((r) => setTimeout(r, 150)));
    await new Promise((r) => setTimeout(r, 400)); // then a dependency that does not answer
    return c.json({ ok: true });
  });

  it('answers 503 unavailable (API.md error body, Retry-After) when the handler is late', async () => {
    const res = await app.request('/slow');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
  });

  it('leaves a handler that answers in time alone', async () => {
    const res = await app.request('/fast');
    expect(res.status).toBe(200);
  });

  it('does not count time excluded for CPU-bound work (password hashing) against the deadline', async () => {
    const res = await app.request('/hashing');
    expect(res.status).toBe(200);
  });

  it('still answers 503 when what follows the excluded work hangs', async () => {
    const res = await app.request('/hashing-then-hang');
    expect(res.status).toBe(503);
  });
});
