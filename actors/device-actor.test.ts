/**
 * The device actor on the in-memory store: what each reading is worth, which
 * hour it counts in, that a duplicate of any age counts once (invariant 2),
 * one alert per hour and kind (invariant 3), and that an actor reloaded from a
 * snapshot continues exactly where the committed state left off.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { type ApplyResult, DeviceActor } from './device-actor.ts';
import { MemoryDeviceStore } from './memory-store.ts';
import { type DeviceConfig, emptyBatch, type NewAlert, type ShardBatch } from './store.ts';
import { deviceConfig } from './testing.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-03-10T10:00:00Z');
const SHARD = 0;

let store: MemoryDeviceStore;
beforeEach(async () => {
  store = new MemoryDeviceStore();
  await store.fence(SHARD, 1);
});

async function deviceActor(overrides: Partial<DeviceConfig> = {}, into = store) {
  const config = deviceConfig(overrides);
  into.putDevice(config);
  return reload(config.id, into);
}

async function reload(id: string, from = store) {
  return new DeviceActor(id, (await from.loadMany([id])).get(id), from);
}

interface Sent {
  result: ApplyResult;
  batch: ShardBatch;
  stored: NewAlert[];
}

/** One job for this actor: apply, then commit as the shard processor does. */
async function send(
  actor: DeviceActor,
  readings: Array<[number, number]>,
  now = T0 + 2 * HOUR,
  into = store,
): Promise<Sent> {
  const batch = emptyBatch();
  const result = await actor.receive({ readings, batch, now });
  const stored = await into.commit(SHARD, 1, batch);
  return { result, batch, stored };
}

const at = (minutes: number) => T0 + minutes * MIN;
const series = (values: number[], stepMin = 10, from = 0): Array<[number, number]> =>
  values.map((v, i) => [at(from + i * stepMin), v]);

async function stored(id: string) {
  return store.around(id, T0 - 24 * HOUR, T0 + 24 * HOUR);
}
async function hours(id: string, ...starts: number[]) {
  return Object.fromEntries(
    [...(await store.hourTotals(id, starts))].map(([h, kwh]) => [(h - T0) / HOUR, kwh]),
  );
}

describe('interval meter', () => {
  it('counts each fresh reading’s value as its energy in the hour that contains it', async () => {
    const actor = await deviceActor();
    const { result } = await send(actor, [
      [at(50), 1.5],
      [at(0), 0.25],
      [at(60), 2], // exactly at the next hour's start: the next hour
      [at(59.999), 0.5],
    ]);
    expect(result).toMatchObject({ applied: 4, duplicates: 0 });
    expect(await hours(actor.id, T0, T0 + HOUR)).toEqual({ 0: 2.25, 1: 2 });
    expect((await stored(actor.id)).map((r) => r.kwh)).toEqual([0.25, 1.5, 0.5, 2]);
  });

  it('counts a late reading once, into its own hour, and a duplicate of any age not at all', async () => {
    const actor = await deviceActor();
    await send(actor, series([1, 1, 1, 1, 1, 1, 1], 10)); // 10:00 … 11:00
    const late = await send(actor, [
      [at(35), 0.5], // late, new
      [at(30), 9], // stored already
      [at(60), 9], // the latest, again
      [at(35), 7], // twice in one job: the first to arrive wins
    ]);
    expect(late.result).toMatchObject({ applied: 1, duplicates: 3 });
    expect(late.batch.inserts).toEqual([{ deviceId: actor.id, ts: at(35), value: 0.5, kwh: 0.5 }]);
    expect(await hours(actor.id, T0, T0 + HOUR)).toEqual({ 0: 6.5, 1: 1 });
    const again = await send(actor, [[at(35), 0.5]]);
    expect(again.result).toMatchObject({ applied: 0, duplicates: 1 });
    expect(again.batch).toEqual(emptyBatch());
  });
});

describe('cumulative meter', () => {
  it('takes the first reading as a 0 kWh baseline and counts register differences', async () => {
    const actor = await deviceActor({ meterKind: 'cumulative' });
    await send(actor, series([100, 100.5, 101.25], 30)); // 10:00, 10:30, 11:00
    expect((await stored(actor.id)).map((r) => r.kwh)).toEqual([0, 0.5, 0.75]);
    expect(await hours(actor.id, T0, T0 + HOUR)).toEqual({ 0: 0.5, 1: 0.75 });
  });

  it('treats a register drop as a reset worth the new value', async () => {
    const actor = await deviceActor({ meterKind: 'cumulative' });
    await send(actor, series([10, 12.5], 10));
    await send(actor, series([1.25, 3], 10, 20));
    expect(await hours(actor.id, T0)).toEqual({ 0: 2.5 + 1.25 + 1.75 });
  });

  it('splits a stored interval with a late reading, moving energy between hours but not changing the total', async () => {
    const actor = await deviceActor({ meterKind: 'cumulative' });
    await send(actor, [
      [at(50), 10],
      [at(70), 14], // 11:10: worth 4, all in hour 1
    ]);
    const late = await send(actor, [[at(60), 13]]); // 11:00 splits it: 3 then 1
    expect(late.result).toMatchObject({ applied: 1, duplicates: 0 });
    expect(late.batch.updates).toEqual([{ deviceId: actor.id, ts: at(70), kwh: 1 }]);
    expect(await stored(actor.id)).toEqual([
      { ts: at(50), value: 10, kwh: 0 },
      { ts: at(60), value: 13, kwh: 3 },
      { ts: at(70), value: 14, kwh: 1 },
    ]);
    expect(await hours(actor.id, T0, T0 + HOUR)).toEqual({ 0: 0, 1: 4 });
    expect((await store.loadMany([actor.id])).get(actor.id)!.openHour).toMatchObject({ kwh: 4, readings: 2 });

    const older = await send(actor, [[at(40), 9]]); // older than all: the new baseline
    expect(older.batch.inserts).toEqual([{ deviceId: actor.id, ts: at(40), value: 9, kwh: 0 }]);
    expect(older.batch.updates).toEqual([{ deviceId: actor.id, ts: at(50), kwh: 1 }]);
    expect(await hours(actor.id, T0, T0 + HOUR)).toEqual({ 0: 1, 1: 4 });
  });

  it('ignores duplicates of stored readings, the latest or older', async () => {
    const actor = await deviceActor({ meterKind: 'cumulative' });
    await send(actor, series([1, 2, 4], 10));
    const dup = await send(actor, series([1, 2, 4], 10));
    expect(dup.result).toMatchObject({ applied: 0, duplicates: 3 });
    expect(dup.batch).toEqual(emptyBatch());
    expect(await hours(actor.id, T0)).toEqual({ 0: 3 });
  });
});

describe('hours and alerts', () => {
  it('opens a new hour at its first reading and shows only the current hour live', async () => {
    const actor = await deviceActor();
    const first = await send(actor, series([1, 1], 10, 40), at(55));
    expect(first.result.live).toMatchObject({ hourStart: '2026-03-10T10:00:00+00:00', kwh: 2 });
    const next = await send(actor, [[at(65), 0.5]], at(66));
    expect(next.result.live).toMatchObject({ hourStart: '2026-03-10T11:00:00+00:00', kwh: 0.5 });
    expect((await store.loadMany([actor.id])).get(actor.id)!.openHour).toEqual({
      start: T0 + HOUR,
      kwh: 0.5,
      readings: 1,
    });
    // Processed long after the hour: nothing to show live.
    expect((await send(actor, [[at(70), 1]], at(300))).result.live).toBeNull();
  });

  it('counts the repeated local hour of an autumn DST change as two hours', async () => {
    const actor = await deviceActor({ timeZone: 'Europe/Bucharest' });
    const first = Date.parse('2026-10-25T03:30:00+03:00');
    const second = Date.parse('2026-10-25T03:30:00+02:00');
    const a = await send(actor, [[first, 1]], first + MIN);
    const b = await send(actor, [[second, 2]], second + MIN);
    expect(a.result.live?.hourStart).toBe('2026-10-25T03:00:00+03:00');
    expect(b.result.live?.hourStart).toBe('2026-10-25T03:00:00+02:00');
    const totals = await store.hourTotals(actor.id, [first - 30 * MIN, second - 30 * MIN]);
    expect([totals.get(first - 30 * MIN), totals.get(second - 30 * MIN)]).toEqual([1, 2]);
  });

  it('raises exceeded once per hour, when the total first goes strictly over the limit', async () => {
    const actor = await deviceActor({ maxHourlyKwh: 1 });
    const kinds = async (readings: Array<[number, number]>, now: number) =>
      (await send(actor, readings, now)).stored.map((a) => [
        a.kind,
        (a.hourStart - T0) / HOUR,
        a.kwh,
        a.late,
      ]);
    expect(await kinds([[at(1), 0.5]], at(2))).toEqual([]);
    expect(await kinds([[at(2), 0.5]], at(3))).toEqual([]); // equal to the limit is fine
    expect(await kinds([[at(3), 0.25]], at(4))).toEqual([['exceeded', 0, 1.25, false]]);
    expect(await kinds([[at(4), 0.6]], at(5))).toEqual([]);
    expect(await kinds([[at(61), 1.5]], at(62))).toEqual([['exceeded', 1, 1.5, false]]);
    // A reloaded actor knows the open hour's alert from the snapshot.
    const again = await reload(actor.id);
    expect((await send(again, [[at(62), 1]], at(63))).stored).toEqual([]);
  });

  it('raises a late exceeded alert for a past hour that a late reading pushes over', async () => {
    const actor = await deviceActor({ maxHourlyKwh: 1 });
    await send(actor, [[at(10), 0.75]], at(11));
    await send(actor, [[at(70), 0.1]], at(71)); // hour 1 is open now
    const late = await send(actor, [[at(20), 0.5]], at(75));
    expect(
      late.stored.map((a) => ({ kind: a.kind, hourStart: a.hourStart, kwh: a.kwh, late: a.late })),
    ).toEqual([{ kind: 'exceeded', hourStart: T0, kwh: 1.25, late: true }]);
    // Once stored, the same hour is not alerted again.
    expect((await send(actor, [[at(30), 0.5]], at(76))).stored).toEqual([]);
    expect(await hours(actor.id, T0)).toEqual({ 0: 1.75 });
  });

  it('does nothing for a device that does not exist', async () => {
    const actor = new DeviceActor(randomUUID(), undefined, store);
    const { result, batch } = await send(actor, [[at(1), 1]]);
    expect(result).toEqual({ applied: 0, duplicates: 0, dropped: 1, live: null }); // counted as dropped (docs/API.md: deleted devices)
    expect(batch).toEqual(emptyBatch());
  });
});

describe('reload from a snapshot', () => {
  // A cumulative meter over three hours with a reset, in jobs of one to three readings, each
  // processed a minute after its newest reading: 11:03 arrives two jobs late (it splits a
  // stored interval), 10:13 arrives twice. The limit makes both alert kinds fire.
  const values = [5, 5.4, 5.9, 6.1, 6.8, 7.9, 8.2, 8.3, 9.1, 0.4, 0.9, 1.6, 2.8, 3.1, 3.9, 4.2, 4.4, 5.6];
  const readings = series(values, 10, 3);
  const plan = [[0], [1, 2], [3], [4, 5, 7], [8], [6, 9], [10, 1], [11], [12, 13, 14], [15], [16, 17]];
  const jobs = plan.map((job) => job.map((i) => readings[i]!));
  const nowOf = (job: Array<[number, number]>) => Math.max(...job.map(([ts]) => ts)) + MIN;
  const strip = (s: Sent) => ({
    result: s.result,
    inserts: s.batch.inserts,
    updates: s.batch.updates,
    hours: [...s.batch.hours.values()],
    alerts: s.batch.alerts.map(({ id: _, ...rest }) => rest),
  });

  it('continues exactly as an actor that never stopped', async () => {
    const config = { meterKind: 'cumulative' as const, maxHourlyKwh: 2.5 };
    const always = await deviceActor(config);
    const straight: Sent[] = [];
    for (const job of jobs) straight.push(await send(always, job, nowOf(job)));

    for (let cut = 1; cut < jobs.length; cut++) {
      const other = new MemoryDeviceStore();
      await other.fence(SHARD, 1);
      let actor = await deviceActor({ ...config, id: always.id }, other);
      for (const [i, job] of jobs.entries()) {
        if (i === cut) actor = await reload(always.id, other);
        const sent = await send(actor, job, nowOf(job), other);
        expect(strip(sent), `job ${i}, reloaded before job ${cut}`).toEqual(strip(straight[i]!));
      }
    }
    // Both alert kinds were part of what had to match.
    expect(
      straight.flatMap((s) => s.stored.map((a) => `${a.kind} ${(a.hourStart - T0) / HOUR}`)).sort(),
    ).toEqual(['exceeded 0', 'exceeded 1', 'exceeded 2', 'projected 1', 'projected 2']);
  });
});
