/**
 * The front door of POST /api/readings: what it refuses (400 with the path
 * of the bad field, 403, 413, 422), what it accepts (202, aliases included),
 * and that a refused request leaves nothing behind — no queued job, no row
 * in `readings` or `hourly` (invariant 5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../testing.ts';

let t: TestApp;
let device: { id: string };
let other: { id: string };
beforeAll(async () => {
  t = await testApp();
  device = await t.createDevice();
  other = await t.createDevice();
});
afterAll(() => t.close());

const recent = () => Date.now() - 10 * 60_000;
const good = (i = 0) => ({ deviceId: device.id, timestamp: recent() - i * 1000, value: 0.5 });

function queued(): number {
  let n = 0;
  for (let s = 0; s < t.deps.shards; s++) n += t.drivers.queues.pending(s);
  return n;
}

async function expectNothingStored(queuedBefore: number) {
  expect(queued()).toBe(queuedBefore);
  const [r] = await t.db.sql<{ n: number }[]>`select count(*)::int as n from readings`;
  const [h] = await t.db.sql<{ n: number }[]>`select count(*)::int as n from hourly`;
  expect({ readings: r!.n, hourly: h!.n }).toEqual({ readings: 0, hourly: 0 });
}

/** Sends, expects the status and error code, checks nothing was stored; returns the error. */
async function refused(
  status: number,
  code: string,
  opts: { body?: unknown; raw?: string; token?: string | null },
): Promise<{ code: string; message: string; details?: Array<{ path: string; message: string }> }> {
  const before = queued();
  const res = await t.request('POST', '/api/readings', opts);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  await expectNothingStored(before);
  return body.error;
}

const paths = (err: { details?: Array<{ path: string }> }) => (err.details ?? []).map((d) => d.path);

describe('POST /api/readings refuses bad requests whole', () => {
  it('refuses empty and shapeless bodies with 400', async () => {
    for (const raw of [
      '',
      '{}',
      '{"readings": []}',
      'null',
      '[]',
      '{"readings": {}}',
      '{"readings":',
      'readings',
    ]) {
      await refused(400, 'invalid_request', { raw });
    }
  });

  it('refuses more than 5000 readings with 400', async () => {
    const readings = Array.from({ length: 5001 }, (_, i) => good(i));
    const err = await refused(400, 'invalid_request', { body: { readings } });
    expect(paths(err)).toContain('readings');
  });

  it('names the bad field of the bad item: readings.3.value / .timestamp / .deviceId', async () => {
    const withBad = (patch: Record<string, unknown>) => {
      const readings: Array<Record<string, unknown>> = [
        good(0),
        good(1),
        good(2),
        { ...good(3), ...patch },
        good(4),
      ];
      return { readings };
    };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ value: -1 }, 'readings.3.value'],
      [{ value: '1.5' }, 'readings.3.value'],
      [{ value: 'NaN' }, 'readings.3.value'],
      [{ value: null }, 'readings.3.value'],
      [{ value: undefined }, 'readings.3.value'],
      [{ timestamp: '2026-01-01T10:00:00' }, 'readings.3.timestamp'],
      [{ timestamp: 'yesterday' }, 'readings.3.timestamp'],
      [{ timestamp: String(recent()) }, 'readings.3.timestamp'],
      [{ timestamp: Date.now() + 3_600_000 }, 'readings.3.timestamp'],
      [{ timestamp: new Date(Date.now() + 3_600_000).toISOString() }, 'readings.3.timestamp'],
      [{ timestamp: Math.floor(recent() / 1000) }, 'readings.3.timestamp'],
      [{ timestamp: 1.5 }, 'readings.3.timestamp'],
      [{ deviceId: 'not-a-uuid' }, 'readings.3.deviceId'],
      [{ deviceId: 42 }, 'readings.3.deviceId'],
      [{ deviceId: undefined }, 'readings.3.deviceId'],
    ];
    for (const [patch, path] of cases) {
      const err = await refused(400, 'invalid_request', { body: withBad(patch) });
      expect(paths(err), JSON.stringify(patch)).toContain(path);
      expect(
        paths(err).every((p) => p.startsWith('readings.3')),
        JSON.stringify(patch),
      ).toBe(true);
      expect(err.message).toContain(path);
    }
  });

  it('refuses unknown fields in the body and in an item', async () => {
    await refused(400, 'invalid_request', { body: { readings: [good()], extra: 1 } });
    const err = await refused(400, 'invalid_request', { body: { readings: [{ ...good(), unit: 'Wh' }] } });
    expect(paths(err)).toEqual(['readings.0']);
  });

  it('refuses an unknown device with 422 naming the item', async () => {
    const ghost = '00000000-0000-4000-8000-0000000000ff';
    const err = await refused(422, 'unprocessable', {
      body: { readings: [good(0), { deviceId: ghost, timestamp: recent(), value: 1 }] },
    });
    expect(err.details).toEqual([{ path: 'readings.1.deviceId', message: expect.any(String) }]);
  });

  it('refuses a client’s token (403), a device token for another device (403), and no token (401)', async () => {
    const client = await t.createClient();
    await refused(403, 'forbidden', { token: client.token, body: { readings: [good()] } });
    const issued = await (await t.request('POST', `/api/devices/${device.id}/tokens`)).json();
    const err = await refused(403, 'forbidden', {
      token: issued.token,
      body: { readings: [good(0), { deviceId: other.id, timestamp: recent(), value: 1 }] },
    });
    expect(paths(err)).toEqual(['readings.1.deviceId']);
    await refused(401, 'unauthorized', { token: null, body: { readings: [good()] } });
  });

  it('refuses a body over 2 MB with 413 payload_too_large', async () => {
    const raw = JSON.stringify({ readings: [{ ...good(), pad: 'x'.repeat(2 * 1024 * 1024 + 10) }] });
    await refused(413, 'payload_too_large', { raw });
  });
});

describe('POST /api/readings accepts', () => {
  it('answers 202 {accepted} and queues the readings', async () => {
    const before = queued();
    const readings = Array.from({ length: 5000 }, (_, i) => good(i));
    const res = await t.request('POST', '/api/readings', { body: { readings } });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 5000 });
    expect(queued()).toBeGreaterThan(before);
  });

  it('accepts the classic aliases device_id and measurement_value, ISO with offset and epoch ms', async () => {
    const before = queued();
    const res = await t.request('POST', '/api/readings', {
      body: {
        readings: [
          { device_id: device.id, timestamp: recent(), measurement_value: 1.25 },
          { deviceId: device.id, timestamp: '2026-01-01T10:00:00+02:00', value: 0 },
          { deviceId: device.id, timestamp: '2026-01-01T08:00:00.123Z', value: 3 },
        ],
      },
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 3 });
    expect(queued()).toBeGreaterThan(before);
  });

  it('accepts a device token for its own device', async () => {
    const issued = await (await t.request('POST', `/api/devices/${other.id}/tokens`)).json();
    const res = await t.request('POST', '/api/readings', {
      token: issued.token,
      body: { readings: [{ device_id: other.id, timestamp: recent(), measurement_value: 2 }] },
    });
    expect(res.status).toBe(202);
  });
});
