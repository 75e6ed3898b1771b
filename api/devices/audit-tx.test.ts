/**
 * A device change and its audit entry commit together (issue 11: the audit
 * log is written in the same transaction as the change it records): when the
 * entry cannot be written, the change is not stored either.
 */
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../testing-hooks.ts';

const t = useTestApp();

const count = async (sql: string) => Number((await t.db.sql.unsafe(sql))[0]!.n);

describe('device changes and their audit entries', () => {
  it('store neither when the audit entry fails: create, update and delete', async () => {
    const device = await t.createDevice({ name: 'Audited' });
    // The audit log refuses every device entry from now on.
    await t.db.sql.unsafe(
      `alter table audit add constraint no_device_entries check (action not like 'device.%') not valid`,
    );
    try {
      const devicesBefore = await count('select count(*)::int as n from devices');
      const created = await t.request('POST', '/api/devices', {
        body: { name: 'Never stored', maxHourlyKwh: 1 },
      });
      expect(created.status).toBeGreaterThanOrEqual(500);
      expect(await count('select count(*)::int as n from devices')).toBe(devicesBefore);

      const patched = await t.request('PATCH', `/api/devices/${device.id}`, { body: { name: 'Renamed' } });
      expect(patched.status).toBeGreaterThanOrEqual(500);
      const row = await t.db.sql`select name from devices where id = ${device.id}`;
      expect(row[0]!.name).toBe('Audited');

      const deleted = await t.request('DELETE', `/api/devices/${device.id}`);
      expect(deleted.status).toBeGreaterThanOrEqual(500);
      expect(await count(`select count(*)::int as n from devices where id = '${device.id}'`)).toBe(1);
    } finally {
      await t.db.sql.unsafe('alter table audit drop constraint no_device_entries');
    }
    // And with the audit log working again, each change leaves exactly one entry.
    expect(
      (await t.request('PATCH', `/api/devices/${device.id}`, { body: { name: 'Renamed' } })).status,
    ).toBe(200);
    const entries = await t.db.sql`select action from audit where target_id = ${device.id} order by at`;
    expect(entries.map((e) => e.action)).toEqual(['device.create', 'device.update']);
  });
});
