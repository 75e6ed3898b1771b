/**
 * The shared store suite (actors/store.suite.ts) against the Postgres
 * DeviceStore, in a fresh schema of the real Postgres dropped afterwards.
 */
import { registerStoreSuite } from '../actors/store.suite.ts';
import { PostgresDeviceStore } from './device-store.ts';
import { testDatabase } from './testing.ts';

registerStoreSuite('postgres', async () => {
  const db = await testDatabase();
  return {
    store: new PostgresDeviceStore(db.sql),
    async addDevice(c) {
      if (c.ownerId)
        await db.sql`insert into users (id, username, name, role, password_hash)
          values (${c.ownerId}, ${`u-${c.ownerId}`}, 'owner', 'client', 'x') on conflict do nothing`;
      await db.sql`insert into devices (id, name, owner_id, max_hourly_kwh, meter_kind, time_zone)
        values (${c.id}, ${c.name}, ${c.ownerId}, ${c.maxHourlyKwh}, ${c.meterKind}, ${c.timeZone})`;
    },
    async deleteDevice(id) {
      await db.sql`delete from devices where id = ${id}`;
    },
    teardown: () => db.close(),
  };
});
