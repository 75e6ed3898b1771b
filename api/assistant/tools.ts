/**
 * The assistant's tools: read-only views of the ASKING client's own data,
 * read through the devices, consumption and alerts repos. Every lookup is
 * filtered by the client's id, so a device id the model invents, or copies
 * from another conversation, yields an error result and never data. Results
 * are plain JSON objects for the model to read.
 */
import type { FunctionDeclaration } from '@google/genai';
import { dayHours, isValidLocalDate } from '../../core/time.ts';
import type { Sql } from '../../db/connect.ts';
import { listAlerts, toAlert } from '../alerts/repo.ts';
import { bucketEntries } from '../consumption/buckets.ts';
import { priced } from '../consumption/cost.ts';
import { type DeviceRow, listDevices } from '../devices/repo.ts';

export const toolDeclarations: FunctionDeclaration[] = [
  {
    name: 'list_my_devices',
    description:
      "Lists the client's own metered devices: id, name, description, address, hourly limit in kWh, meter kind and IANA time zone.",
    parametersJsonSchema: { type: 'object', properties: {} },
  },
  {
    name: 'get_consumption',
    description:
      "Energy used by one of the client's devices on one local calendar day, hour by hour (kWh), with the day's total and the device's hourly limit; with a tariff also what it cost (currency, totalCost and each hour's cost, rounded to the currency's minor unit).",
    parametersJsonSchema: {
      type: 'object',
      properties: {
        deviceId: { type: 'string', description: 'The device id from list_my_devices' },
        date: { type: 'string', description: "Local date in the device's time zone, YYYY-MM-DD" },
      },
      required: ['deviceId', 'date'],
    },
  },
  {
    name: 'list_my_alerts',
    description:
      "Alerts raised for the client's devices (an hour over its limit, or projected to be), newest first, at most 20.",
    parametersJsonSchema: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['open', 'acknowledged', 'all'], description: 'Default open' },
      },
    },
  },
];

export type ToolResult = Record<string, unknown>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NOT_YOURS = {
  error: 'No device with that id belongs to this client. Call list_my_devices for valid ids.',
};

/** Runs one tool call for `clientId`; unknown tools and bad arguments become error results. */
export async function runTool(
  sql: Sql,
  clientId: string,
  name: string | undefined,
  args: Record<string, unknown> = {},
): Promise<ToolResult> {
  switch (name) {
    case 'list_my_devices':
      return { devices: await ownDevices(sql, clientId) };
    case 'get_consumption':
      return consumption(sql, clientId, args.deviceId, args.date);
    case 'list_my_alerts':
      return alerts(sql, clientId, args.status);
    default:
      return { error: `Unknown tool ${String(name)}` };
  }
}

interface OwnDevice {
  id: string;
  name: string;
  description: string;
  address: string;
  maxHourlyKwh: number;
  meterKind: string;
  timeZone: string;
  currency?: string | null;
}

/** What the model sees of a device: no owner, no bookkeeping. */
const toOwnDevice = (d: DeviceRow): OwnDevice => ({
  id: d.id,
  name: d.name,
  description: d.description,
  address: d.address,
  maxHourlyKwh: d.maxHourlyKwh,
  meterKind: d.meterKind,
  timeZone: d.timeZone,
});

const DEVICE_PAGE = 500;

/** Every device of the client, by name (page by page: the model sees them all). */
async function ownDevices(sql: Sql, clientId: string): Promise<OwnDevice[]> {
  const devices: DeviceRow[] = [];
  for (let total = 1; devices.length < total; ) {
    const page = await listDevices(sql, { ownerId: clientId, limit: DEVICE_PAGE, offset: devices.length });
    if (page.items.length === 0) break;
    devices.push(...page.items);
    total = page.total;
  }
  return devices.map(toOwnDevice);
}

async function consumption(
  sql: Sql,
  clientId: string,
  deviceId: unknown,
  date: unknown,
): Promise<ToolResult> {
  if (typeof deviceId !== 'string' || !UUID_RE.test(deviceId)) return NOT_YOURS;
  if (typeof date !== 'string' || !isValidLocalDate(date)) return { error: 'date must be YYYY-MM-DD' };
  const devices = await sql<
    OwnDevice[]
  >`select id, name, max_hourly_kwh as "maxHourlyKwh", time_zone as "timeZone", tariff->>'currency' as currency
    from devices where id = ${deviceId} and owner_id = ${clientId}`;
  const device = devices[0];
  if (!device) return NOT_YOURS;
  const starts = dayHours(date, device.timeZone);
  if (starts.length === 0) return { error: 'date is not a calendar date' };
  const to = starts[starts.length - 1]! + 3_600_000;
  const rows = await sql<{ t: Date; kwh: number; n: number; cost: string | null }[]>`
    select hour_start as t, kwh, readings as n, cost::text as cost from hourly
    where device_id = ${device.id} and hour_start >= ${new Date(starts[0]!)} and hour_start < ${new Date(to)}`;
  const entries = bucketEntries(
    starts.map((start, i) => ({ start, end: starts[i + 1] ?? to })),
    rows.map((r) => ({ at: r.t.getTime(), kwh: Number(r.kwh), readings: r.n, cost: r.cost })),
    device.timeZone,
  );
  const total = entries.reduce((sum, e) => sum + e.kwhExact, 0n);
  const money = priced(entries, device.currency ?? null);
  return {
    deviceId: device.id,
    deviceName: device.name,
    date,
    timeZone: device.timeZone,
    unit: 'kWh',
    maxHourlyKwh: device.maxHourlyKwh,
    totalKwh: Number(total) / 1e9,
    currency: money.currency,
    totalCost: money.totalCost,
    hours: money.hours.map((e) => ({ start: e.start, kwh: e.kwh, cost: e.cost })),
  };
}

async function alerts(sql: Sql, clientId: string, rawStatus: unknown): Promise<ToolResult> {
  const status = rawStatus === 'acknowledged' || rawStatus === 'all' ? rawStatus : 'open';
  const page = await listAlerts(sql, { ownerId: clientId, status, limit: 20, offset: 0 });
  return {
    status,
    alerts: page.items.map((r) => {
      const { ownerId: _, ...alert } = toAlert({ ...r, kwh: Number(r.kwh) });
      return alert;
    }),
  };
}
