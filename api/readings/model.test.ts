/**
 * Model-based test of the reading path (issue 10): random streams of readings
 * for a few devices — both meter kinds, resets, duplicates with equal and
 * different values, shuffles, late readings across days, DST and :30/:45
 * zones, limit and zone edits, job redelivery and a node swap mid-stream —
 * go through the real api, queues, processor and Postgres, and after steps
 * (and at the end) what is stored is compared with a small reference model
 * (model/reference.ts): per-reading energy, hourly rows, the day view in the
 * device zone, and exactly one `exceeded` per device-hour over the limit.
 *
 * The cases are fast-check values (model/arbitraries.ts), run by fc.assert
 * with a fixed seed (CI is deterministic) and EMS_MODEL_CASES runs. A failure
 * prints fast-check's seed and path (and the replay command); replay exactly
 * that case with
 * `EMS_MODEL_SEED=<seed> EMS_MODEL_PATH=<path> npx vitest run --project server api/readings/model.test.ts`.
 * Every case goes through Postgres, so shrinking is off by default
 * (endOnFailure); EMS_MODEL_SHRINK=1 shrinks, for at most EMS_MODEL_SHRINK_MS.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalTimeZone } from '../../core/time.ts';
import { nanoOf } from '../consumption/buckets.ts';
import { startRuntimeNode, type TestApp, type TestRuntimeNode, testApp } from '../testing.ts';
import { enqueueReadings } from './enqueue.ts';
import {
  type CaseSpec,
  type Check,
  caseSpec,
  describeCase,
  readingsOf,
  SCENARIOS,
  type Tuple,
} from './model/arbitraries.ts';
import { dates, dayView, energies, hourly, type ModelDevice, nano, send } from './model/reference.ts';

const SEED = Number(process.env.EMS_MODEL_SEED ?? 20261129);
const PATH = process.env.EMS_MODEL_PATH || undefined;
const CASES = Number(process.env.EMS_MODEL_CASES ?? 300);
const SHRINK = process.env.EMS_MODEL_SHRINK === '1';
const SHRINK_MS = Number(process.env.EMS_MODEL_SHRINK_MS ?? 300_000);
/** Readings left when the generated actions run out are posted in batches of this size. */
const TAIL_BATCH = 24;

let t: TestApp;
let runtime: TestRuntimeNode;
let nodes = 0;

async function startNode() {
  runtime = await startRuntimeNode(t, `model-node-${++nodes}`);
}

/** The node that held every shard leaves mid-stream; a new one (cold actors, new epochs) takes over. */
async function swapNode() {
  await runtime.stop();
  await startNode();
}

beforeAll(async () => {
  t = await testApp();
  await startNode();
});
afterAll(async () => {
  await runtime.stop();
  await t.close();
});

interface Step {
  kind: 'post' | 'limit' | 'zone' | 'redeliver' | 'swap';
  detail: string;
}

async function runCase(spec: CaseSpec, log: Step[]) {
  const scenario = SCENARIOS[spec.scenario]!;
  const zoneOf = (i: number) => scenario.zones[i % scenario.zones.length]!;
  const devices: ModelDevice[] = [];
  for (const [d, device] of spec.devices.entries()) {
    const zone = zoneOf(device.zone);
    const res = await t.request('POST', '/api/devices', {
      body: { name: `model ${d}`, meterKind: device.kind, timeZone: zone, maxHourlyKwh: device.limit },
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    devices.push({
      id,
      kind: device.kind,
      zone,
      limits: [device.limit],
      zoneChanged: false,
      readings: new Map(),
    });
  }
  const order = readingsOf(spec);
  const posted: Tuple[][] = [];

  async function post(batch: Tuple[]) {
    const body = batch.map(([d, ts, value]) => ({ deviceId: devices[d]!.id, timestamp: ts, value }));
    const res = await t.request('POST', '/api/readings', { body: { readings: body } });
    expect(res.status, await res.clone().text()).toBe(202);
    for (const [d, ts, value] of batch) send(devices[d]!, [[ts, value]]);
    posted.push(batch);
    log.push({ kind: 'post', detail: `${batch.length} readings` });
  }

  for (const action of spec.actions) {
    if (order.length === 0) break;
    switch (action.kind) {
      case 'post': {
        const batch = order.splice(0, action.size);
        // Duplicates: earlier readings again, with the same value or another one.
        if (action.dup && posted.length > 0) {
          const prior = posted[action.dup.batch % posted.length]!.slice(0, 3);
          prior.forEach(([d, ts, value], i) => {
            batch.push(action.dup!.equal[i] ? [d, ts, value] : [d, ts, value + 0.5]);
          });
        }
        if (action.repeatFirst) batch.push([...batch[0]!]);
        await post(batch);
        break;
      }
      case 'limit': {
        const d = action.device % devices.length;
        const res = await t.request('PATCH', `/api/devices/${devices[d]!.id}`, {
          body: { maxHourlyKwh: action.limit },
        });
        expect(res.status).toBe(200);
        devices[d]!.limits.push(action.limit);
        log.push({ kind: 'limit', detail: `device ${d} → ${action.limit}` });
        break;
      }
      case 'zone': {
        const d = action.device % devices.length;
        const zone = zoneOf(action.zone);
        const res = await t.request('PATCH', `/api/devices/${devices[d]!.id}`, { body: { timeZone: zone } });
        expect(res.status).toBe(200);
        if (canonicalTimeZone(zone) !== devices[d]!.zone) devices[d]!.zoneChanged = true;
        devices[d]!.zone = canonicalTimeZone(zone)!;
        log.push({ kind: 'zone', detail: `device ${d} → ${zone}` });
        break;
      }
      case 'redeliver': {
        if (posted.length === 0) break;
        // A job delivered again (a node died after COMMIT, before the ack).
        const batch = posted[action.batch % posted.length]!;
        await enqueueReadings(
          t.deps.producer,
          batch.map(([d, ts, value]) => ({ deviceId: devices[d]!.id, ts, value })),
          t.deps.shards,
        );
        log.push({ kind: 'redeliver', detail: `${batch.length} readings` });
        break;
      }
      case 'swap':
        await swapNode();
        log.push({ kind: 'swap', detail: `node ${nodes}` });
        break;
    }
    if (action.check) {
      await t.settle();
      await check(devices, action.check);
    }
  }
  while (order.length > 0) await post(order.splice(0, TAIL_BATCH));
  await t.settle();
  await check(devices, { day: spec.finalDay });
}

/** Rows of `rows` grouped by their `id` column (one query serves every device of a case). */
function byDevice<R extends { id: string }>(rows: readonly R[]): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const row of rows) out.set(row.id, [...(out.get(row.id) ?? []), row]);
  return out;
}

async function check(devices: ModelDevice[], which: NonNullable<Check>) {
  const ids = devices.map((d) => d.id);
  const [stored, rows, alerts, views] = await Promise.all([
    t.db.sql<{ id: string; t: number; kwh: string }[]>`
      select device_id as id, (extract(epoch from ts) * 1000)::float8 as t, kwh::text as kwh from readings
      where device_id = any(${ids}) order by ts`.then(byDevice),
    t.db.sql<{ id: string; h: number; kwh: string; n: number }[]>`
      select device_id as id, (extract(epoch from hour_start) * 1000)::float8 as h, kwh::text as kwh,
        readings as n from hourly
      where device_id = any(${ids}) and (readings <> 0 or kwh <> 0) order by hour_start`.then(byDevice),
    t.db.sql<{ id: string; h: number }[]>`
      select device_id as id, (extract(epoch from hour_start) * 1000)::float8 as h from alerts
      where device_id = any(${ids}) and kind = 'exceeded'`.then(byDevice),
    Promise.all(
      devices.map(async (device) => {
        const days = dates(device);
        if (days.length === 0) return null;
        const date = days[which.day % days.length]!;
        const res = await t.request('GET', `/api/devices/${device.id}/consumption?date=${date}`);
        return { date, status: res.status, body: (await res.json()) as DayViewBody };
      }),
    ),
  ]);
  for (const [i, device] of devices.entries()) {
    expect(
      (stored.get(device.id) ?? []).map((s) => [s.t, nanoOf(s.kwh)]),
      'per-reading energy',
    ).toEqual(energies(device).map((e) => [e.ts, nano(e.kwh)]));

    const model = [...hourly(device)].sort((a, b) => a[0] - b[0]);
    expect(
      (rows.get(device.id) ?? []).map((row) => [row.h, nanoOf(row.kwh), row.n]),
      'hourly rows',
    ).toEqual(model.map(([h, v]) => [h, v.nano, v.readings]));

    const view = views[i];
    if (view) {
      expect(view.status).toBe(200);
      expect(
        view.body.hours.map((h) => [Date.parse(h.start), nano(h.kwh), h.readings]),
        `day view ${view.date}`,
      ).toEqual(dayView(device, view.date).map((h) => [h.start, h.nano, h.readings]));
    }

    const raised = (alerts.get(device.id) ?? []).map((a) => a.h);
    expect(new Set(raised).size, 'one exceeded per device-hour').toBe(raised.length);
    // Exactness of alerts is checked where the model is unambiguous: interval meters (totals only
    // grow) whose zone never changed (a re-bucketed hour raises nothing; past alerts keep theirs).
    if (device.kind === 'interval' && !device.zoneChanged) {
      const max = Math.max(...device.limits);
      const min = Math.min(...device.limits);
      for (const [h, v] of hourly(device)) {
        if (v.nano > nano(max)) expect(raised, `exceeded for hour ${new Date(h).toISOString()}`).toContain(h);
      }
      for (const h of raised)
        expect(hourly(device).get(h)?.nano ?? 0n, 'no spurious exceeded').toBeGreaterThan(nano(min));
    }
  }
}

interface DayViewBody {
  hours: Array<{ start: string; kwh: number; readings: number }>;
}

describe('the reading path against a reference model', () => {
  it(`agrees on ${CASES} random streams (fast-check, seed ${SEED})`, { timeout: 600_000 }, async () => {
    let log: Step[] = [];
    let last = '';
    try {
      await fc.assert(
        fc.asyncProperty(caseSpec, async (spec) => {
          log = [];
          last = describeCase(spec);
          await runCase(spec, log);
        }),
        {
          numRuns: CASES,
          seed: SEED,
          path: PATH,
          endOnFailure: !SHRINK,
          ...(SHRINK ? { interruptAfterTimeLimit: SHRINK_MS } : {}),
        },
      );
    } catch (err) {
      const found = /seed: (-?\d+), path: "([^"]*)"/.exec(String((err as Error).message));
      const steps = log.map((s) => `${s.kind}(${s.detail})`).join(', ');
      console.error(
        `model case failed: ${found ? `seed ${found[1]}, path ${found[2]}` : 'see the fast-check report'}\n` +
          (found
            ? `replay with EMS_MODEL_SEED=${found[1]} EMS_MODEL_PATH=${found[2]} npx vitest run --project server api/readings/model.test.ts\n`
            : '') +
          `last case run: ${last}\nits steps: ${steps}`,
      );
      throw err;
    }
  });
});
