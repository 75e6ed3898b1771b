import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../testing.ts';

// Requests as they arrive on a socket from `address` (what @hono/node-server puts in c.env).
function loginFrom(t: TestApp, address: string, username: string, password: string, xff?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (xff) headers['x-forwarded-for'] = xff;
  return Promise.resolve(
    t.app.request(
      '/api/auth/login',
      { method: 'POST', headers, body: JSON.stringify({ username, password }) },
      { incoming: { socket: { remoteAddress: address } } },
    ),
  );
}

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ deps: { trustedProxies: ['10.9.0.0/16'] } });
});
afterAll(() => t.close());

describe('login throttling', () => {
  it('a parallel burst of 40 wrong passwords is throttled like a sequence (≤ 5 × 401, the rest 429)', async () => {
    const { username } = await t.createClient();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => loginFrom(t, '192.0.2.10', username, `wrong-${i}`)),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429 || s === 503).length).toBeGreaterThanOrEqual(35);
    const throttled = results.find((r) => r.status === 429)!;
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('failures from one address do not lock the account for another address', async () => {
    const { username } = await t.createClient();
    for (let i = 0; i < 5; i++)
      expect((await loginFrom(t, '192.0.2.20', username, `bad-${i}`)).status).toBe(401);
    expect((await loginFrom(t, '192.0.2.20', username, 'client-password')).status).toBe(429);
    expect((await loginFrom(t, '198.51.100.7', username, 'client-password')).status).toBe(200);
  });

  it('X-Forwarded-For from an untrusted peer is ignored (rotating it does not dodge the limit)', async () => {
    const { username } = await t.createClient();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await loginFrom(t, '192.0.2.30', username, `bad-${i}`, `203.0.113.${i}`)).status);
    }
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it('behind a trusted proxy, the right-most untrusted X-Forwarded-For entry is the client', async () => {
    const { username } = await t.createClient();
    for (let i = 0; i < 5; i++) {
      const res = await loginFrom(t, '10.9.0.1', username, `bad-${i}`, `203.0.113.50, 10.9.0.2`);
      expect(res.status).toBe(401);
    }
    expect((await loginFrom(t, '10.9.0.1', username, 'client-password', '203.0.113.50')).status).toBe(429);
    // Another client behind the same proxy is not locked out; a spoofed left-most entry changes nothing.
    const other = await loginFrom(t, '10.9.0.1', username, 'client-password', '203.0.113.50, 203.0.113.51');
    expect(other.status).toBe(200);
  });
});
