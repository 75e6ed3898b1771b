import { describe, expect, it } from 'vitest';
import { useTestApp } from '../testing-hooks.ts';
import { anIssuedIngestToken } from '../testing-matchers.ts';

const t = useTestApp();

const reading = (deviceId: string) => ({
  readings: [{ deviceId, timestamp: new Date(Date.now() - 60_000).toISOString(), value: 0.1 }],
});

describe('device ingest tokens', () => {
  it('are named, listed with their last use, and a revoked one is refused with 401', async () => {
    const device = await t.createDevice();
    const created = await t.request('POST', `/api/devices/${device.id}/tokens`, {
      body: { name: 'meter A' },
    });
    expect(created.status).toBe(201);
    const token = await created.json();
    expect(token).toMatchObject(anIssuedIngestToken('meter A'));
    expect(Date.parse(token.createdAt)).toBeGreaterThan(0);

    let list = await (await t.request('GET', `/api/devices/${device.id}/tokens`)).json();
    expect(list.total).toBe(1);
    expect(list.items[0]).toEqual({
      id: token.id,
      name: 'meter A',
      createdAt: token.createdAt,
      lastUsedAt: null,
    });
    expect(JSON.stringify(list)).not.toContain(token.token);

    expect(
      (await t.request('POST', '/api/readings', { token: token.token, body: reading(device.id) })).status,
    ).toBe(202);
    for (let i = 0; i < 50; i++) {
      list = await (await t.request('GET', `/api/devices/${device.id}/tokens`)).json();
      if (list.items[0].lastUsedAt) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(Date.parse(list.items[0].lastUsedAt)).toBeGreaterThan(0);

    expect((await t.request('DELETE', `/api/devices/${device.id}/tokens/${token.id}`)).status).toBe(204);
    const refused = await t.request('POST', '/api/readings', {
      token: token.token,
      body: reading(device.id),
    });
    expect(refused.status).toBe(401);
    expect((await t.request('DELETE', `/api/devices/${device.id}/tokens/${token.id}`)).status).toBe(404);
    list = await (await t.request('GET', `/api/devices/${device.id}/tokens`)).json();
    expect(list.total).toBe(0);
  });

  it('a token of another device is 404 on delete; clients get 403; the number per device is capped', async () => {
    const a = await t.createDevice();
    const b = await t.createDevice();
    const tok = await (await t.request('POST', `/api/devices/${a.id}/tokens`, { body: {} })).json();
    expect((await t.request('DELETE', `/api/devices/${b.id}/tokens/${tok.id}`)).status).toBe(404);
    const client = await t.createClient();
    expect((await t.request('GET', `/api/devices/${a.id}/tokens`, { token: client.token })).status).toBe(403);
    let last = 201;
    for (let i = 0; i < 25 && last === 201; i++) {
      last = (await t.request('POST', `/api/devices/${b.id}/tokens`, { body: { name: `t${i}` } })).status;
    }
    expect(last).toBe(409);
  });
});
