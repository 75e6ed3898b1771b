/**
 * `ems start --demo`: a demo client ("demo" / "demo-password") with three
 * devices in different zones and meter kinds, fed by the gentle in-process
 * simulator, so a newcomer sees a live dashboard within a minute.
 */
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../api/auth/passwords.ts';
import { issueLoginToken } from '../api/auth/sessions.ts';
import type { AppDeps } from '../api/context.ts';
import { insertUser } from '../api/users/repo.ts';
import { startDemoSimulator } from '../simulator/index.ts';
import type { Logger } from './logger.ts';

const DEMO_DEVICES = [
  {
    name: 'Heat pump',
    meterKind: 'interval',
    timeZone: 'Europe/Bucharest',
    maxHourlyKwh: 2.5,
    address: 'Str. Lalelelor 4, Cluj',
  },
  {
    name: 'EV charger',
    meterKind: 'cumulative',
    timeZone: 'Europe/Bucharest',
    maxHourlyKwh: 7,
    address: 'Garage',
  },
  {
    name: 'Office HVAC',
    meterKind: 'interval',
    timeZone: 'America/New_York',
    maxHourlyKwh: 4,
    address: '5th Avenue 100, New York',
  },
] as const;

export async function startDemo(deps: AppDeps, port: number, log: Logger) {
  const { sql } = deps;
  let [demo] = await sql<{ id: string }[]>`select id from users where username = 'demo'`;
  if (!demo) {
    demo =
      (await insertUser(sql, {
        id: randomUUID(),
        username: 'demo',
        name: 'Demo Client',
        email: 'demo@example.com',
        role: 'client',
        passwordHash: await hashPassword('demo-password'),
      })) ?? undefined;
  }
  if (!demo) throw new Error('could not create the demo user');
  let devices = await sql<
    { id: string; meterKind: 'interval' | 'cumulative'; timeZone: string; maxHourlyKwh: number }[]
  >`
    select id, meter_kind as "meterKind", time_zone as "timeZone", max_hourly_kwh as "maxHourlyKwh"
    from devices where owner_id = ${demo.id}`;
  if (devices.length === 0) {
    for (const d of DEMO_DEVICES) {
      await sql`insert into devices (id, name, description, address, max_hourly_kwh, meter_kind, time_zone, owner_id)
        values (${randomUUID()}, ${d.name}, 'Demo device', ${d.address}, ${d.maxHourlyKwh}, ${d.meterKind}, ${d.timeZone}, ${demo.id})`;
    }
    devices =
      await sql`select id, meter_kind as "meterKind", time_zone as "timeZone", max_hourly_kwh as "maxHourlyKwh"
      from devices where owner_id = ${demo.id}`;
  }
  const [admin] = await sql<
    { id: string }[]
  >`select id from users where role = 'admin' order by created_at limit 1`;
  const { token } = await issueLoginToken(deps, { id: admin!.id, role: 'admin' });
  log.info(
    { user: 'demo', password: 'demo-password', devices: devices.length },
    'demo running: sign in as demo / demo-password',
  );
  return startDemoSimulator({
    url: `http://127.0.0.1:${port}`,
    token,
    deviceIds: devices.map((d) => d.id),
    devices,
    onError: (err) => log.warn({ err: err.message }, 'demo simulator'),
  });
}
