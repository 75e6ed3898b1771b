/**
 * The MQTT fields of a device through the HTTP API: set together, only on a
 * cumulative meter (the default when a vendor format is given), a topic names
 * one device (409), no wildcards, and PATCH can move or clear them.
 */
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../testing-hooks.ts';

const t = useTestApp();

const create = (body: Record<string, unknown>) =>
  t.request('POST', '/api/devices', { body: { name: 'Plug', maxHourlyKwh: 2, ...body } });

describe('device mqttTopic and mqttFormat', () => {
  it('creates a Tasmota device as a cumulative meter and reads the fields back', async () => {
    const res = await create({ mqttTopic: 'tele/plug-1/SENSOR', mqttFormat: 'tasmota' });
    expect(res.status).toBe(201);
    const device = await res.json();
    expect(device).toMatchObject({
      meterKind: 'cumulative',
      mqttTopic: 'tele/plug-1/SENSOR',
      mqttFormat: 'tasmota',
    });
    expect(await (await t.request('GET', `/api/devices/${device.id}`)).json()).toEqual(device);
  });

  it('refuses one field without the other, an interval meter, wildcards and unknown formats (400)', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ mqttTopic: 'tele/plug-2/SENSOR' }, 'mqttFormat'],
      [{ mqttFormat: 'shelly' }, 'mqttTopic'],
      [{ mqttTopic: 'tele/plug-2/SENSOR', mqttFormat: 'tasmota', meterKind: 'interval' }, 'meterKind'],
      [{ mqttTopic: 'tele/+/SENSOR', mqttFormat: 'tasmota' }, 'mqttTopic'],
      [{ mqttTopic: '$SYS/x', mqttFormat: 'tasmota' }, 'mqttTopic'],
      [{ mqttTopic: 'tele/plug-2/SENSOR', mqttFormat: 'zigbee' }, 'mqttFormat'],
    ];
    for (const [body, path] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = (await res.json()) as { error: { code: string; details: Array<{ path: string }> } };
      expect(err.error.code).toBe('invalid_request');
      expect(err.error.details[0]!.path).toBe(path);
    }
  });

  it('answers 409 when another device already has the topic, on create and on update', async () => {
    expect((await create({ mqttTopic: 'shellies/a/events/rpc', mqttFormat: 'shelly' })).status).toBe(201);
    const again = await create({ mqttTopic: 'shellies/a/events/rpc', mqttFormat: 'shelly' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      error: { code: 'conflict', details: [{ path: 'mqttTopic' }] },
    });
    const other = await (await create({ meterKind: 'cumulative' })).json();
    const patch = await t.request('PATCH', `/api/devices/${other.id}`, {
      body: { mqttTopic: 'shellies/a/events/rpc', mqttFormat: 'shelly' },
    });
    expect(patch.status).toBe(409);
  });

  it('PATCH moves the topic, refuses to break the pair, and clears both', async () => {
    const device = await (await create({ mqttTopic: 'tele/plug-3/SENSOR', mqttFormat: 'tasmota' })).json();
    const path = `/api/devices/${device.id}`;
    const moved = await t.request('PATCH', path, { body: { mqttTopic: 'tele/plug-3b/SENSOR' } });
    expect(await moved.json()).toMatchObject({ mqttTopic: 'tele/plug-3b/SENSOR', mqttFormat: 'tasmota' });
    expect((await t.request('PATCH', path, { body: { mqttFormat: null } })).status).toBe(400);
    expect((await t.request('PATCH', path, { body: { meterKind: 'interval' } })).status).toBe(400);
    const cleared = await t.request('PATCH', path, { body: { mqttTopic: null, mqttFormat: null } });
    expect(await cleared.json()).toMatchObject({ mqttTopic: null, mqttFormat: null });
  });
});
