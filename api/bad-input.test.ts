/**
 * Bad input never reaches a 500: every route, fed garbage bodies (arrays,
 * null, scalars, malformed or deeply nested JSON, huge strings, wrong types),
 * garbage queries and invalid ids in the path, answers a 4xx with the error
 * body of docs/API.md — and the message never carries a stack trace or SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from './testing.ts';

let t: TestApp;
/** A device and a client that exist, for the paths that name one. */
let ids: { device: string; client: string };
beforeAll(async () => {
  t = await testApp();
  ids = { device: (await t.createDevice()).id, client: (await t.createClient()).id };
});
afterAll(() => t.close());

const LEAKS =
  /\bat [\w.<>]+ \(|node_modules|\.ts:\d+|\bselect\b|\binsert\b|\bupdate \w+ set\b|postgres|syntax error at|violates|relation "|stack/i;

async function expectRefused(
  method: string,
  path: string,
  init: { raw?: string; body?: unknown; headers?: Record<string, string> },
) {
  const headers: Record<string, string> = { authorization: `Bearer ${t.adminToken}`, ...init.headers };
  let body: string | undefined;
  if (init.raw !== undefined) body = init.raw;
  else if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await t.app.request(path, { method, headers, body });
  const label = `${method} ${path} ${(body ?? '').slice(0, 60)}`;
  const text = await res.text();
  expect(res.status, `${label} → ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${label} → ${text.slice(0, 200)}`).toBeLessThan(500);
  let parsed: { error?: { code?: unknown; message?: unknown } };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${label}: not JSON: ${text.slice(0, 200)}`);
  }
  expect(typeof parsed.error?.code, label).toBe('string');
  expect(typeof parsed.error?.message, label).toBe('string');
  expect(String(parsed.error?.message), label).not.toMatch(LEAKS);
  return res.status;
}

const huge = 'x'.repeat(1_500_000);
const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
const deepObject = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;

const garbageBodies: string[] = [
  '',
  'null',
  '[]',
  '[{}]',
  '"a string"',
  '42',
  'true',
  '{',
  '{"a":1,}',
  'not json at all',
  "{'single': 'quotes'}",
  '\u0000\u0001\u0002',
  deep,
  deepObject,
  JSON.stringify({ name: huge, username: huge, password: huge, body: huge, readings: huge }),
  JSON.stringify({ name: 5, username: [], password: {}, role: 7, email: false, maxHourlyKwh: 'lots' }),
  JSON.stringify({ name: null, maxHourlyKwh: null, timeZone: null, ownerId: 'nobody' }),
  '{"__proto__": {"role": "admin"}, "constructor": {"prototype": {}}}',
  JSON.stringify({ readings: [null, 1, 'x', []] }),
  '{"maxHourlyKwh": 1e309, "name": "x", "value": -1e309}',
  JSON.stringify({ expiresInDays: -1, name: 'x'.repeat(10_000) }),
];

const bodyRoutes = (): Array<[string, string]> => [
  ['POST', '/api/auth/login'],
  ['POST', '/api/users'],
  ['PATCH', `/api/users/${ids.client}`],
  ['POST', '/api/devices'],
  ['PATCH', `/api/devices/${ids.device}`],
  ['POST', '/api/readings'],
  ['POST', '/api/tokens'],
  ['POST', `/api/chat/conversations/${ids.client}/messages`],
  ['POST', `/api/chat/conversations/${ids.client}/read`],
];

describe('garbage bodies', () => {
  it('every body route answers 4xx with the error body, never 500', async () => {
    for (const [method, path] of bodyRoutes()) {
      for (const raw of garbageBodies) await expectRefused(method, path, { raw });
    }
  });

  it('a JSON body sent as another content type is refused with 4xx', async () => {
    for (const [method, path] of bodyRoutes()) {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        await expectRefused(method, path, { raw: '{"name":"x"}', headers: { 'content-type': type } });
      }
    }
  });
});

describe('garbage in paths and queries', () => {
  const badIds = [
    'not-a-uuid',
    '123',
    '%00',
    "'%3B%20drop%20table%20users%3B--",
    'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
    'a'.repeat(5000),
  ];

  it('invalid ids in paths are 400 (or 404), never 500', async () => {
    for (const id of badIds) {
      const routes: Array<[string, string, unknown?]> = [
        ['GET', `/api/users/${id}`],
        ['PATCH', `/api/users/${id}`, { name: 'x' }],
        ['DELETE', `/api/users/${id}`],
        ['GET', `/api/devices/${id}`],
        ['PATCH', `/api/devices/${id}`, { name: 'x' }],
        ['DELETE', `/api/devices/${id}`],
        ['POST', `/api/devices/${id}/tokens`],
        ['GET', `/api/devices/${id}/consumption?date=2026-01-01`],
        ['POST', `/api/alerts/${id}/ack`],
        ['DELETE', `/api/tokens/${id}`],
        ['GET', `/api/chat/conversations/${id}/messages`],
        ['POST', `/api/chat/conversations/${id}/messages`, { body: 'hi' }],
      ];
      for (const [method, path, body] of routes) await expectRefused(method, path, body ? { body } : {});
    }
  });

  it('garbage query parameters are 400, never 500', async () => {
    const queries = [
      '/api/users?limit=-1',
      '/api/users?limit=1e99',
      '/api/users?offset=abc',
      '/api/users?role=root',
      `/api/users?q=${'x'.repeat(500)}`,
      '/api/devices?ownerId=nope',
      '/api/devices?unassigned=maybe',
      '/api/devices?limit=NaN',
      '/api/alerts?status=%00',
      '/api/alerts?deviceId=1',
      '/api/tokens?limit=0',
      `/api/devices/${ids.device}/consumption`,
      `/api/devices/${ids.device}/consumption?date=0000-00-00`,
      `/api/devices/${ids.device}/consumption?date=9999-99-99`,
      `/api/devices/${ids.device}/consumption?date=2026-01-01&tz=${'A/'.repeat(50)}`,
      `/api/devices/${ids.device}/consumption?from=2026-13-01&to=2026-01-02`,
      `/api/devices/${ids.device}/consumption?from=${encodeURIComponent('+275760-09-13T00:00:00Z')}&to=${encodeURIComponent('+275760-09-14T00:00:00Z')}`,
      '/api/chat/conversations?limit=x',
      `/api/chat/conversations/${ids.client}/messages?before=yesterday`,
      `/api/chat/conversations/${ids.client}/messages?limit=100000`,
    ];
    for (const q of queries) await expectRefused('GET', q, {});
  });

  it('bad Authorization headers are 401 with the error body, never 500', async () => {
    for (const authorization of [
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      `Bearer ${'x'.repeat(10_000)}`,
      'Bearer a.b.c',
      'Bearer ems_pat_\u00e9',
    ]) {
      const res = await t.app.request('/api/devices', { headers: { authorization } });
      expect(res.status, authorization.slice(0, 30)).toBeGreaterThanOrEqual(400);
      expect(res.status, authorization.slice(0, 30)).toBeLessThan(500);
      expect((await res.json()).error.code).toBeTypeOf('string');
    }
  });
});
