/**
 * `ems start --demo`: a demo client ("demo" / "demo-password") with four
 * devices in different zones and meter kinds — one with a night/day tariff,
 * one meter that went silent three hours ago. On first start the last 35 days
 * are backfilled through the real ingest path (POST /api/readings) with
 * progress on the console, so the day, week and month views, the alerts,
 * the cost and the admin overview all have something true to show; then the
 * gentle in-process simulator keeps the others live.
 *
 * Demo data is tagged: it belongs to the `demo` user and its devices carry
 * DEMO_TAG as description. `ems demo --remove` deletes exactly that (readings,
 * hours and alerts go with the devices).
 */
import { randomUUID } from 'node:crypto';
import { announceAccessChange } from '../api/auth/access-changes.ts';
import { hashPassword } from '../api/auth/passwords.ts';
import { issueLoginToken } from '../api/auth/sessions.ts';
import type { AppDeps } from '../api/context.ts';
import type { Tariff } from '../api/contract.ts';
import { insertUser } from '../api/users/repo.ts';
import type { Sql } from '../db/connect.ts';
import { backfillDemo, HttpSink, startDemoSimulator } from '../simulator/index.ts';
import type { Logger } from './logger.ts';

export const DEMO_USERNAME = 'demo';
export const DEMO_TAG = 'Demo device (ems demo --remove deletes it)';
const BACKFILL_DAYS = 35;
const SILENT_SINCE_MS = 3 * 3_600_000;

const NIGHT_DAY: Tariff = {
  currency: 'EUR',
  periods: [
    { from: '00:00', pricePerKwh: 0.14 },
    { from: '07:00', pricePerKwh: 0.29 },
    { from: '22:00', pricePerKwh: 0.14 },
  ],
};

const DEMO_DEVICES = [
  {
    name: 'Heat pump',
    meterKind: 'interval',
    timeZone: 'Europe/Bucharest',
    maxHourlyKwh: 2.5,
    address: 'Str. Lalelelor 4, Cluj',
    tariff: NIGHT_DAY,
    overLimitHoursAgo: [0, 9, 20, 33, 58, 80, 130],
  },
  {
    name: 'EV charger',
    meterKind: 'cumulative',
    timeZone: 'Europe/Bucharest',
    maxHourlyKwh: 7,
    address: 'Garage',
    tariff: null,
  },
  {
    name: 'Office HVAC',
    meterKind: 'interval',
    timeZone: 'America/New_York',
    maxHourlyKwh: 4,
    address: '5th Avenue 100, New York',
    tariff: null,
    overLimitHoursAgo: [4, 15, 40],
  },
  {
    name: 'Garden pump',
    meterKind: 'interval',
    timeZone: 'Asia/Kolkata',
    maxHourlyKwh: 1.2,
    address: 'Koramangala, Bengaluru',
    tariff: null,
    silent: true,
  },
] as const;

interface DemoDevice {
  id: string;
  name: string;
  meterKind: 'interval' | 'cumulative';
  timeZone: string;
  maxHourlyKwh: number;
}

export interface RunningDemo {
  stop(): Promise<void>;
}

export async function startDemo(deps: AppDeps, port: number, log: Logger): Promise<RunningDemo> {
  const { sql } = deps;
  let [demo] = await sql<{ id: string }[]>`select id from users where username = ${DEMO_USERNAME}`;
  if (!demo) {
    demo =
      (await insertUser(sql, {
        id: randomUUID(),
        username: DEMO_USERNAME,
        name: 'Demo Client',
        email: 'demo@example.com',
        role: 'client',
        passwordHash: await hashPassword('demo-password'),
      })) ?? undefined;
  }
  if (!demo) throw new Error('could not create the demo user');
  const select = () => sql<DemoDevice[]>`
    select id, name, meter_kind as "meterKind", time_zone as "timeZone", max_hourly_kwh as "maxHourlyKwh"
    from devices where owner_id = ${demo.id} order by name`;
  let devices = await select();
  const fresh = devices.length === 0;
  if (fresh) {
    for (const d of DEMO_DEVICES) {
      await sql`insert into devices (id, name, description, address, max_hourly_kwh, meter_kind, time_zone, owner_id, tariff)
        values (${randomUUID()}, ${d.name}, ${DEMO_TAG}, ${d.address}, ${d.maxHourlyKwh}, ${d.meterKind}, ${d.timeZone},
          ${demo.id}, ${d.tariff ? sql.json(d.tariff as never) : null})`;
    }
    devices = await select();
    // The devices were written here, not through the api: cached device lists are read again.
    await announceAccessChange(deps, { deviceRows: devices.map((d) => d.id) });
  }
  const silentNames = new Set<string>(DEMO_DEVICES.filter((d) => 'silent' in d).map((d) => d.name));
  const [admin] = await sql<
    { id: string }[]
  >`select id from users where role = 'admin' order by created_at limit 1`;
  const { token } = await issueLoginToken(deps, { id: admin!.id, role: 'admin' });
  const url = `http://127.0.0.1:${port}`;
  log.info(
    { user: DEMO_USERNAME, password: 'demo-password', devices: devices.length },
    'demo running: sign in as demo / demo-password',
  );

  const stopping = new AbortController();
  let live: { stop(): Promise<void> } | undefined;
  const run = async () => {
    if (fresh) {
      const sink = new HttpSink({ url, token, retry: { maxAttempts: 10 } });
      const started = Date.now();
      const sent = await backfillDemo({
        devices: devices.map((d) => {
          const spec = DEMO_DEVICES.find((s) => s.name === d.name);
          return {
            ...d,
            silentSinceMs: silentNames.has(d.name) ? SILENT_SINCE_MS : undefined,
            // A few hours over the limit, some within the last day: alerts to show.
            overLimitHoursAgo: spec && 'overLimitHoursAgo' in spec ? [...spec.overLimitHoursAgo] : undefined,
          };
        }),
        days: BACKFILL_DAYS,
        sink,
        signal: stopping.signal,
        onProgress: (done, total) =>
          process.stdout.write(
            `  demo: backfilling ${BACKFILL_DAYS} days of history… ${Math.round((done / total) * 100)}% (${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} readings)\n`,
          ),
      });
      log.info({ readings: sent, ms: Date.now() - started }, 'demo history backfilled');
    }
    if (stopping.signal.aborted) return;
    // The silent meter stays silent: it is what the overview's "Silent" tile is about.
    const talking = devices.filter((d) => !silentNames.has(d.name));
    live = startDemoSimulator({
      url,
      token,
      deviceIds: talking.map((d) => d.id),
      devices: talking,
      onError: (err) => log.warn({ err: err.message }, 'demo simulator'),
    });
  };
  const running = run().catch((err) => {
    if (!stopping.signal.aborted) log.warn({ err }, 'demo backfill failed');
  });
  return {
    async stop() {
      stopping.abort();
      await running;
      await live?.stop();
    },
  };
}

/** Deletes the demo user and its devices (their readings, hours, alerts and tokens cascade). */
export async function removeDemo(sql: Sql): Promise<{ devices: number; users: number }> {
  return (await sql.begin(async (tx) => {
    const devices = await tx`delete from devices d using users u
      where d.owner_id = u.id and u.username = ${DEMO_USERNAME} and d.description = ${DEMO_TAG} returning d.id`;
    const users =
      await tx`delete from users where username = ${DEMO_USERNAME} and role = 'client' returning id`;
    return { devices: devices.length, users: users.length };
  })) as { devices: number; users: number };
}
