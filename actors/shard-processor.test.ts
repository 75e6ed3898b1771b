/**
 * The shard processor on the in-memory store: a job's effects are committed
 * in one transaction and only then published; a failure before COMMIT
 * passivates the touched actors so the retried job counts once (invariant 2);
 * a fenced epoch is refused (invariant 4); and sensor.csv replayed through it
 * gives the hourly totals the Postgres-backed reading-path test expects.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AlertEvent, LiveTotal } from '../core/events.ts';
import { ownerRooms } from '../core/rooms.ts';
import { shardOf } from '../runtime/placement.ts';
import { type EventPublisher, PoisonJobError } from '../runtime/types.ts';
import { MemoryDeviceStore } from './memory-store.ts';
import type { ReadingTuple } from './messages.ts';
import { roundKwh } from './meter.ts';
import { ShardProcessor, type ShardProcessorOptions } from './shard-processor.ts';
import {
  type CommitItem,
  type DeviceConfig,
  FencedError,
  type NewAlert,
  type StoredReading,
} from './store.ts';
import { deviceConfig, expectedHourly, sensorValues, shuffled } from './testing.ts';

const SHARDS = 8;
const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-03-10T10:00:00Z');

/** A memory store whose commits and reads can be held or failed by the test. */
class ScriptedStore extends MemoryDeviceStore {
  beforeCommit: ((items: CommitItem[]) => Promise<void> | void) | null = null;
  beforeAround: ((deviceId: string) => void) | null = null;
  commits = 0;

  override async commitMany(items: CommitItem[]): Promise<NewAlert[][]> {
    this.commits++;
    await this.beforeCommit?.(items);
    return super.commitMany(items);
  }

  override async around(deviceId: string, from: number, to: number): Promise<StoredReading[]> {
    this.beforeAround?.(deviceId);
    return super.around(deviceId, from, to);
  }
}

interface Published {
  rooms: string[];
  event: string;
  payload: unknown;
}

const processors: ShardProcessor[] = [];
afterEach(async () => {
  await Promise.all(processors.splice(0).map((p) => p.close()));
});

function setup(options: Partial<ShardProcessorOptions> = {}) {
  const store = new ScriptedStore();
  const published: Published[] = [];
  const events: EventPublisher = {
    emit: (rooms, event, payload) => {
      published.push({ rooms, event, payload });
    },
  };
  const processor = new ShardProcessor({ shards: SHARDS, store, events, ...options });
  processors.push(processor);
  const device = (overrides: Partial<DeviceConfig> = {}) => {
    const config = deviceConfig(overrides);
    store.putDevice(config);
    return config;
  };
  return { store, published, processor, device };
}

const tuples = (deviceId: string, values: number[], from = T0, stepMs = 10 * MIN): ReadingTuple[] =>
  values.map((value, i) => [deviceId, from + i * stepMs, value]);

async function hourTotals(store: MemoryDeviceStore, deviceId: string, first: number, count: number) {
  const starts = Array.from({ length: count }, (_, h) => first + h * HOUR);
  const totals = await store.hourTotals(deviceId, starts);
  return starts.map((s) => totals.get(s) ?? 0);
}

describe('a job', () => {
  it('applies its readings through the device actors and commits them in one transaction', async () => {
    const { store, processor, device } = setup();
    const [a, b] = [device(), device({ meterKind: 'cumulative' })];
    await processor.onAcquired(3, 1);
    const stats = await processor.processPayload(
      3,
      { readings: [...tuples(a.id, [1, 2, 0.5]), ...tuples(b.id, [10, 11.5, 14]), [randomUUID(), T0, 5]] },
      1,
    );
    expect(stats).toEqual({ applied: 6, duplicates: 0, alerts: [] });
    expect(store.commits).toBe(1);
    expect(await hourTotals(store, a.id, T0, 1)).toEqual([3.5]);
    expect(await hourTotals(store, b.id, T0, 1)).toEqual([4]);
    expect(processor.totals).toMatchObject({ jobs: 1, applied: 6, failures: 0 });
  });

  it('publishes alerts and live totals only after its COMMIT', async () => {
    const owner = randomUUID();
    const now = T0 + 30 * MIN;
    const { store, published, processor, device } = setup({ now: () => now });
    const d = device({ ownerId: owner, maxHourlyKwh: 1, name: 'boiler' });
    const shard = shardOf(d.id, SHARDS);
    await processor.onAcquired(shard, 1);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let committing = false;
    store.beforeCommit = async () => {
      committing = true;
      await held;
    };

    const job = processor.processPayload(shard, { readings: tuples(d.id, [0.6, 0.6, 0.6], T0, MIN) }, 1);
    await vi.waitFor(() => expect(committing).toBe(true));
    expect(published).toEqual([]);
    release();
    const stats = await job;

    expect(stats.alerts.map((a) => a.kind)).toEqual(['exceeded']);
    const alerts = published.filter((p) => p.event === 'alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.rooms).toEqual(ownerRooms(owner));
    expect(alerts[0]!.payload).toMatchObject({
      id: stats.alerts[0]!.id,
      deviceId: d.id,
      deviceName: 'boiler',
      ownerId: owner,
      kind: 'exceeded',
      hourStart: '2026-03-10T10:00:00+00:00',
      kwh: 1.2,
      late: false,
    } satisfies Partial<AlertEvent>);
    const live = published.filter((p) => p.event === 'live');
    expect(live.map((p) => p.rooms)).toEqual([ownerRooms(owner)]);
    expect(live[0]!.payload).toMatchObject({ deviceId: d.id, kwh: 1.8 } satisfies Partial<LiveTotal>);
  });
});

describe('a failure before COMMIT', () => {
  it('passivates every actor the job touched, so the retried job counts once', async () => {
    const { store, published, processor, device } = setup({ now: () => T0 + 30 * MIN });
    const [a, b] = [device({ maxHourlyKwh: 2 }), device({ meterKind: 'cumulative' })];
    await processor.onAcquired(0, 1);
    await processor.processPayload(0, { readings: [...tuples(a.id, [0.5]), ...tuples(b.id, [100])] }, 1);
    expect(processor.system.isResident(a.id)).toBe(true);

    const job = { readings: [...tuples(a.id, [1, 1], T0 + MIN), ...tuples(b.id, [101, 103], T0 + MIN)] };
    store.beforeCommit = () => {
      throw new Error('connection lost');
    };
    await expect(processor.processPayload(0, job, 1)).rejects.toThrow('connection lost');
    expect(processor.system.isResident(a.id)).toBe(false);
    expect(processor.system.isResident(b.id)).toBe(false);
    expect(published.filter((p) => p.event === 'alert')).toEqual([]);

    store.beforeCommit = null;
    const retried = await processor.processPayload(0, job, 1);
    expect(retried).toMatchObject({ applied: 4, duplicates: 0 });
    // 2.5 kWh is over the limit; no projection yet (under 10 minutes of readings, actors/limits.ts).
    expect(retried.alerts.map((x) => [x.kind, x.kwh])).toEqual([['exceeded', 2.5]]);
    expect(published.filter((p) => p.event === 'alert')).toHaveLength(1);
    expect(await hourTotals(store, a.id, T0, 1)).toEqual([2.5]);
    expect(await hourTotals(store, b.id, T0, 1)).toEqual([3]);
    expect((await processor.processPayload(0, job, 1)).duplicates).toBe(4);
    expect(processor.totals.failures).toBe(1);
  });

  it('of one actor fails the whole job, and the others are passivated too', async () => {
    const { store, processor, device } = setup();
    const [a, b] = [device(), device()];
    await processor.onAcquired(0, 1);
    await processor.processPayload(0, { readings: [...tuples(a.id, [1, 1]), ...tuples(b.id, [1, 1])] }, 1);
    store.beforeAround = (id) => {
      if (id === b.id) throw new Error('read failed');
    };
    // a: a fresh reading; b: a late one, which needs the stored readings around it.
    const job = { readings: [...tuples(a.id, [2], T0 + 20 * MIN), ...tuples(b.id, [2], T0 + 5 * MIN)] };
    await expect(processor.processPayload(0, job, 1)).rejects.toThrow('read failed');
    expect(store.commits).toBe(1);
    expect(processor.system.isResident(a.id)).toBe(false);

    store.beforeAround = null;
    expect(await processor.processPayload(0, job, 1)).toMatchObject({ applied: 2, duplicates: 0 });
    expect(await hourTotals(store, a.id, T0, 1)).toEqual([4]);
    expect(await hourTotals(store, b.id, T0, 1)).toEqual([4]);
  });
});

describe('poison jobs', () => {
  const job = (payload: unknown, id = 'job-1') => ({ id, shard: 0, payload, attempt: 1 });
  const refused = () => Object.assign(new Error('numeric field overflow'), { code: '22003' });

  it('are payloads that are not a reading batch: refused at once, counted, nothing stored', async () => {
    const { store, processor, device } = setup();
    const d = device();
    await processor.onAcquired(0, 1);
    for (const payload of [
      null,
      'readings',
      { readings: {} },
      { readings: [[d.id, 'noon', 1]] },
      { readings: [[d.id, T0, null]] },
      { controls: [{ deviceId: d.id, op: 'explode' }] },
      { controls: [{ deviceId: d.id, op: 'configure' }] },
    ]) {
      await expect(processor.process(job(payload), 1)).rejects.toBeInstanceOf(PoisonJobError);
    }
    expect(processor.totals.poisoned).toBe(7);
    expect(store.commits).toBe(0);
  });

  it('are jobs whose data the database refuses; the jobs committed beside them still count', async () => {
    const { store, processor, device } = setup();
    const [good, bad] = [device(), device()];
    await processor.onAcquired(0, 1);
    await processor.onAcquired(1, 1);
    // Refused whenever `bad`'s readings are in the transaction, shared or not.
    store.beforeCommit = (items) => {
      if (items.some((i) => i.batch.inserts.some((r) => r.deviceId === bad.id))) throw refused();
    };
    const [ok, poison] = await Promise.allSettled([
      processor.process({ ...job({ readings: tuples(good.id, [1.5]) }, 'j-good'), shard: 0 }, 1),
      processor.process({ ...job({ readings: tuples(bad.id, [1]) }, 'j-bad'), shard: 1 }, 1),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(poison.status).toBe('rejected');
    const reason = (poison as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(PoisonJobError);
    expect(reason.message).toContain('numeric field overflow');
    expect(processor.totals.poisoned).toBe(1);
    expect(await hourTotals(store, good.id, T0, 1)).toEqual([1.5]);
    expect(await hourTotals(store, bad.id, T0, 1)).toEqual([0]);
    // The shard goes on: its next job commits.
    store.beforeCommit = null;
    await processor.process({ ...job({ readings: tuples(bad.id, [2], T0 + HOUR) }, 'j-next'), shard: 1 }, 1);
    expect(await hourTotals(store, bad.id, T0 + HOUR, 1)).toEqual([2]);
  });

  it('are not database outages, fencing or other failures: those are retried', async () => {
    const { store, processor, device } = setup();
    const d = device();
    await processor.onAcquired(0, 1);
    store.beforeCommit = () => {
      throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    };
    const j = job({ readings: tuples(d.id, [1]) });
    for (let i = 0; i < 3; i++)
      await expect(processor.process(j, 1)).rejects.not.toBeInstanceOf(PoisonJobError);
    await expect(processor.process(j, 2)).rejects.toBeInstanceOf(FencedError);
    expect(processor.totals.poisoned).toBe(0);
  });
});

describe('control messages', () => {
  it('make the device actor reload its configuration, or forget a deleted device', async () => {
    const { store, processor, device } = setup({ now: () => T0 + 30 * MIN });
    const d = device({ maxHourlyKwh: 10 });
    await processor.onAcquired(0, 1);
    await processor.processPayload(0, { readings: tuples(d.id, [1]) }, 1);

    store.putDevice({ ...d, maxHourlyKwh: 1 }); // changed in the database; the resident actor still has 10
    expect(
      (await processor.processPayload(0, { readings: tuples(d.id, [0.5], T0 + MIN) }, 1)).alerts,
    ).toEqual([]);
    const reloaded = await processor.processPayload(
      0,
      { controls: [{ deviceId: d.id, op: 'reload' }], readings: tuples(d.id, [0.5], T0 + 2 * MIN) },
      1,
    );
    expect(reloaded.alerts.map((a) => [a.kind, a.kwh, a.maxHourlyKwh])).toEqual([['exceeded', 2, 1]]);

    store.deleteDevice(d.id);
    const gone = await processor.processPayload(
      0,
      { controls: [{ deviceId: d.id, op: 'deleted' }], readings: tuples(d.id, [5], T0 + 3 * MIN) },
      1,
    );
    expect(gone).toEqual({ applied: 0, duplicates: 0, alerts: [] });
  });
});

describe('fencing', () => {
  it('a job with a fenced-off epoch rejects with FencedError, storing and publishing nothing', async () => {
    const { store, published, processor, device } = setup({ now: () => T0 + 30 * MIN });
    const d = device({ maxHourlyKwh: 1 });
    await processor.onAcquired(1, 1);
    await store.fence(1, 2); // another node took the shard over
    await expect(
      processor.processPayload(1, { readings: tuples(d.id, [3, 3], T0, MIN) }, 1),
    ).rejects.toBeInstanceOf(FencedError);
    expect(await store.around(d.id, T0 - HOUR, T0 + HOUR)).toEqual([]);
    expect(published).toEqual([]);
    expect(processor.system.isResident(d.id)).toBe(false);
    // Taking the shard again with the stale lease epoch is granted a fence above every stored one.
    expect(await store.fence(1, 1)).toBe(3);
  });
});

describe('pushing alerts at least once', () => {
  it('leaves an alert whose event did not leave the process to the sweeper, which pushes it with the same id', async () => {
    let up = false; // the event bus (Redis) is away at first
    const pushed: AlertEvent[] = [];
    const events: EventPublisher = {
      emit: async (_rooms, event, payload) => {
        if (!up) return false;
        if (event === 'alert') pushed.push(payload as AlertEvent);
        return true;
      },
    };
    const { processor, device } = setup({
      events,
      now: () => T0 + 30 * MIN,
      sweepEveryMs: 0,
      sweepAfterMs: 0,
      sweepClaimMs: 10,
    });
    const d = device({ maxHourlyKwh: 1 });
    await processor.onAcquired(0, 1);
    const { alerts } = await processor.processPayload(0, { readings: tuples(d.id, [3], T0 + 20 * MIN) }, 1);
    expect(alerts.map((a) => a.kind)).toEqual(['exceeded']);
    expect(pushed).toEqual([]);

    await new Promise((r) => setTimeout(r, 5));
    expect(await processor.sweep()).toBe(1); // still away: claimed, not marked
    up = true;
    await new Promise((r) => setTimeout(r, 40)); // past the first sweep's claim
    expect(await processor.sweep()).toBe(1);
    expect(pushed.map((p) => p.id)).toContain(alerts[0]!.id);
  });
});

describe('replaying sensor.csv as a cumulative meter (as api/readings/reading-path.test.ts)', () => {
  const MIDNIGHT = Date.parse('2026-03-10T00:00:00+02:00'); // Bucharest, UTC+2 in winter
  let first144: number[];
  let expected: number[];
  let limit: number;
  let over: number;
  let readings: ReadingTuple[];
  beforeAll(() => {
    first144 = sensorValues(144);
    expected = expectedHourly(first144);
    limit = [...expected].sort((x, y) => x - y)[12]!; // about half the hours go over
    over = expected.filter((kwh) => kwh > limit).length;
    readings = first144.map((value, i) => ['', MIDNIGHT + i * 10 * MIN, value] as ReadingTuple);
  });

  async function replay(orders: Array<{ readings: ReadingTuple[]; batch: number }>) {
    const { store, published, processor, device } = setup();
    const d = device({ meterKind: 'cumulative', timeZone: 'Europe/Bucharest', maxHourlyKwh: limit });
    const shard = shardOf(d.id, SHARDS);
    await processor.onAcquired(shard, 1);
    const alerts: NewAlert[] = [];
    for (const { readings, batch } of orders) {
      const all = readings.map(([, ts, v]) => [d.id, ts, v] as ReadingTuple);
      for (let i = 0; i < all.length; i += batch) {
        alerts.push(
          ...(await processor.processPayload(shard, { readings: all.slice(i, i + batch) }, 1)).alerts,
        );
      }
    }
    const snapshot = (await store.loadMany([d.id])).get(d.id)!;
    return {
      hours: await hourTotals(store, d.id, MIDNIGHT, 24),
      alerts,
      published,
      snapshot,
      store,
      id: d.id,
    };
  }

  it('gives hourly totals equal to the register differences, and one late exceeded alert per hour over', async () => {
    const got = await replay([{ readings, batch: 50 }]);
    expect(got.hours).toEqual(expected);
    expect(roundKwh(got.hours.reduce((x, y) => x + y, 0))).toBe(roundKwh(first144[143]! - first144[0]!));
    expect(got.alerts.filter((a) => a.kind === 'exceeded')).toHaveLength(over);
    expect(new Set(got.alerts.map((a) => a.hourStart)).size).toBe(got.alerts.length);
    expect(got.alerts.every((a) => a.late)).toBe(true);
    // Every stored alert is pushed, backfill too (docs/API.md, Alerts), marked late.
    const pushed = got.published.filter((p) => p.event === 'alert').map((p) => p.payload as AlertEvent);
    expect(pushed.map((p) => p.id).sort()).toEqual(got.alerts.map((a) => a.id).sort());
    expect(pushed.every((p) => p.late)).toBe(true);
  });

  it('counts duplicates once: the whole file twice, and again in shuffled batches', async () => {
    const got = await replay([
      { readings, batch: 50 },
      { readings, batch: 37 },
      { readings: shuffled(readings, 7), batch: 20 },
    ]);
    expect(got.hours).toEqual(expected);
    expect(got.alerts.filter((a) => a.kind === 'exceeded')).toHaveLength(over);
  });

  it('gives the same totals when the readings arrive in random order', async () => {
    const got = await replay([{ readings: shuffled(readings, 99), batch: 10 }]);
    expect(got.hours).toEqual(expected);
    const counted = await got.store.around(got.id, MIDNIGHT, MIDNIGHT + 24 * HOUR);
    expect(counted).toHaveLength(144);
    const alerted = new Set(got.alerts.filter((a) => a.kind === 'exceeded').map((a) => a.hourStart));
    expected.forEach((kwh, h) => {
      if (kwh > limit) expect(alerted.has(MIDNIGHT + h * HOUR), `hour ${h}`).toBe(true);
    });
  });
});

describe('silent meters', () => {
  const BERLIN = 'Europe/Berlin';

  function silentSetup(clock: { now: number }) {
    const store = new MemoryDeviceStore({ now: () => clock.now });
    const published: Published[] = [];
    const errors: unknown[] = [];
    const node = () => {
      const processor = new ShardProcessor({
        shards: SHARDS,
        store,
        events: { emit: (rooms, event, payload) => void published.push({ rooms, event, payload }) },
        now: () => clock.now,
        sweepEveryMs: 0,
        silenceEveryMs: 0,
        onError: (err) => errors.push(err),
      });
      processors.push(processor);
      return processor;
    };
    return { store, published, errors, node };
  }

  it('raise one alert per silence on the shard holder, without activating the actor; the next reading acknowledges it', async () => {
    const clock = { now: T0 };
    const { store, published, node } = silentSetup(clock);
    const processor = node();
    const owner = randomUUID();
    const d = {
      id: randomUUID(),
      name: 'fridge',
      ownerId: owner,
      maxHourlyKwh: 2,
      meterKind: 'interval' as const,
    };
    store.putDevice({ ...d, timeZone: BERLIN, silentAfterMinutes: 5 });
    const shard = shardOf(d.id, SHARDS);
    await processor.onAcquired(shard, 1);
    await processor.processPayload(shard, { readings: [[d.id, T0, 0.1]] }, 1);
    await processor.system.passivate(d.id);

    clock.now = T0 + 4 * MIN;
    expect(await processor.sweepSilent()).toEqual([]);
    clock.now = T0 + 6 * MIN;
    const [raised, ...more] = await processor.sweepSilent();
    expect(more).toEqual([]);
    expect(raised).toMatchObject({ deviceId: d.id, kind: 'silent', kwh: 0, maxHourlyKwh: 2, late: false });
    expect(raised!.hourStart).toBe(T0); // the local hour the silence became due in (10:05Z)
    expect(processor.system.isResident(d.id)).toBe(false);
    const alerts = published.filter((p) => p.event === 'alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.rooms).toEqual(ownerRooms(owner));
    expect(alerts[0]!.payload).toMatchObject({
      id: raised!.id,
      kind: 'silent',
      deviceName: 'fridge',
      hourStart: '2026-03-10T11:00:00+01:00',
      acknowledgedAt: null,
    });
    expect(await store.claimUnpublished(0, 1, 100)).toEqual([]); // pushed and marked

    clock.now = T0 + 9 * MIN;
    expect(await processor.sweepSilent()).toEqual([]); // the same silence: once
    await processor.processPayload(shard, { readings: [[d.id, T0 + 9 * MIN, 0.1]] }, 1);
    expect(store.silentAlertsOf(d.id).map((a) => a.acknowledged)).toEqual([true]);

    clock.now = T0 + 15 * MIN; // silent again since 10:09
    const again = await processor.sweepSilent();
    expect(again.map((a) => a.kind)).toEqual(['silent']);
    expect(again[0]!.id).not.toBe(raised!.id);
    expect(store.silentAlertsOf(d.id).map((a) => a.acknowledged)).toEqual([true, false]);
  });

  it('leave devices of shards this node does not hold to their holder', async () => {
    const clock = { now: T0 };
    const { store, node } = silentSetup(clock);
    const processor = node();
    const device = deviceConfig({ name: 'm', maxHourlyKwh: 1, silentAfterMinutes: 5 });
    const d = device.id;
    store.putDevice(device);
    const shard = shardOf(d, SHARDS);
    await processor.onAcquired((shard + 1) % SHARDS, 1);
    clock.now = T0 + 10 * MIN;
    expect(await processor.sweepSilent()).toEqual([]);
    await processor.onAcquired(shard, 1);
    expect((await processor.sweepSilent()).map((a) => a.deviceId)).toEqual([d]);
  });

  it('are raised once across a shard move: the old holder is fenced off, the new one raises it, a repeat adds nothing', async () => {
    const clock = { now: T0 };
    const { store, published, errors, node } = silentSetup(clock);
    const a = node();
    const b = node();
    const device = deviceConfig({ name: 'm', maxHourlyKwh: 1, silentAfterMinutes: 5 });
    const d = device.id;
    store.putDevice(device);
    const shard = shardOf(d, SHARDS);
    await a.onAcquired(shard, 1);
    await b.onAcquired(shard, 2); // a's lease ran out; it has not noticed yet
    clock.now = T0 + 6 * MIN;
    expect(await a.sweepSilent()).toEqual([]);
    expect(errors[0]).toBeInstanceOf(FencedError);
    expect((await b.sweepSilent()).map((x) => x.deviceId)).toEqual([d]);
    expect(await b.sweepSilent()).toEqual([]);
    await a.onAcquired(shard, 3); // and back
    expect(await a.sweepSilent()).toEqual([]);
    expect(store.silentAlertsOf(d)).toHaveLength(1);
    expect(published.filter((p) => p.event === 'alert')).toHaveLength(1);
  });
});
