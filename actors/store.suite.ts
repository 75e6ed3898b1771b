/**
 * The one DeviceStore test suite, registered by actors/memory-store.test.ts
 * and db/device-store.test.ts: whatever the device actor, the shard processor
 * and the group committer rely on from persistence (actors/store.ts) must hold
 * for both — snapshots, fencing (invariant 4), a duplicate reading aborting
 * its batch (invariant 2), one alert per device, hour and kind (invariant 3),
 * and all-or-nothing commits.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CommitItem,
  type CountingConfig,
  type DeviceConfig,
  type DeviceStore,
  DuplicateReadingError,
  emptyBatch,
  FencedError,
  type NewAlert,
  type ShardBatch,
  type SilentAlert,
  type SilentDevice,
  UnknownDeviceError,
} from './store.ts';
import { addHour, addReading, deviceConfig } from './testing.ts';

export interface StoreHarness {
  store: DeviceStore & { commitMany(items: CommitItem[]): Promise<NewAlert[][]> };
  /** Stores a device's configuration (Postgres: a `devices` row, and its owner's `users` row). */
  addDevice(config: DeviceConfig): Promise<void>;
  /** Deletes a device (Postgres: its `devices` row; readings, hours and alerts cascade). */
  deleteDevice(id: string): Promise<void>;
  /** The device's `silent` alerts, oldest silence first (acknowledgement is not in the interface). */
  silentAlerts(deviceId: string): Promise<Array<{ id: string; since: number; acknowledged: boolean }>>;
  teardown(): Promise<void>;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-03-10T10:00:00Z');
const hourOf = (ts: number) => Math.floor(ts / HOUR) * HOUR;

function alert(deviceId: string, kind: NewAlert['kind'], hourStart: number, kwh = 2): NewAlert {
  return { id: randomUUID(), deviceId, kind, hourStart, kwh, maxHourlyKwh: 1, late: false };
}

const readingsOf = (batch: ShardBatch) =>
  batch.inserts.map(({ ts, value, kwh }) => ({ ts, value, kwh })).sort((a, b) => a.ts - b.ts);

export function registerStoreSuite(name: string, open: () => Promise<StoreHarness>): void {
  describe(`${name} device store`, () => {
    let harness: StoreHarness;
    let store: StoreHarness['store'];
    // Every test uses its own devices and shards, so one store serves the whole file.
    let nextShard = 100;

    beforeAll(async () => {
      harness = await open();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.teardown();
    });

    async function device(overrides: Partial<DeviceConfig> = {}): Promise<DeviceConfig> {
      const config = deviceConfig({ maxHourlyKwh: 10, ...overrides });
      await harness.addDevice(config);
      return config;
    }

    async function claim(epoch = 1): Promise<number> {
      const shard = nextShard++;
      await store.fence(shard, epoch);
      return shard;
    }

    /** Everything stored for a device that the interface can show. */
    async function contents(deviceId: string, hours: number[] = [hourOf(T0), hourOf(T0) + HOUR]) {
      const snapshot = (await store.loadMany([deviceId])).get(deviceId);
      return {
        readings: await store.around(deviceId, T0 - 24 * HOUR, T0 + 24 * HOUR),
        hours: await store.hourTotals(deviceId, hours),
        openHour: snapshot?.openHour ?? null,
        alerts: [...(snapshot?.openHourAlerts ?? [])].sort(),
      };
    }

    describe('snapshots', () => {
      it('of a new device hold its config and nothing else; unknown devices are absent', async () => {
        const owner = randomUUID();
        const config = await device({
          name: 'boiler',
          ownerId: owner,
          maxHourlyKwh: 2.5,
          meterKind: 'cumulative',
          timeZone: 'Europe/Bucharest',
        });
        const unknown = randomUUID();
        const snapshots = await store.loadMany([config.id, unknown]);
        expect([...snapshots.keys()]).toEqual([config.id]);
        expect(snapshots.get(config.id)).toEqual({ config, recent: [], openHour: null, openHourAlerts: [] });
        expect((await store.loadMany([])).size).toBe(0);
        expect(await store.around(unknown, T0, T0 + HOUR)).toEqual([]);
        expect((await store.hourTotals(unknown, [T0])).size).toBe(0);
      });

      it('after a commit hold the last 60 minutes up to the latest reading, the newest hour and its alerts', async () => {
        const d = await device();
        const other = await device();
        const shard = await claim();
        const batch = emptyBatch();
        // 10:00, 10:10, … 11:10: the reading at 10:10 is exactly 60 minutes older than the latest.
        for (let i = 0; i <= 7; i++) addReading(batch, d.id, T0 + i * 10 * MIN, 0.25 + i);
        addReading(batch, d.id, T0 + 70 * MIN - 1, 0.5, 0.5); // 11:09:59.999
        addReading(batch, other.id, T0 + 2 * HOUR, 1);
        batch.alerts.push(alert(d.id, 'exceeded', T0 + HOUR), alert(d.id, 'projected', T0));
        await store.commit(shard, 1, batch);

        const snapshots = await store.loadMany([d.id, other.id]);
        const snap = snapshots.get(d.id)!;
        expect(snap.config).toEqual(d);
        const mine = readingsOf(batch).filter((r) => r.ts !== T0 + 2 * HOUR);
        expect(snap.recent).toEqual(mine.filter((r) => r.ts > T0 + 10 * MIN));
        expect(snap.recent[0]!.ts).toBe(T0 + 20 * MIN);
        expect(snap.recent.at(-1)!.ts).toBe(T0 + 70 * MIN);
        // 11:00 (6.25), 11:09:59.999 (0.5) and 11:10 (7.25).
        expect(snap.openHour).toEqual({ start: T0 + HOUR, kwh: 14, readings: 3 });
        expect(snap.openHourAlerts).toEqual(['exceeded']);
        expect(snapshots.get(other.id)!.recent).toEqual([{ ts: T0 + 2 * HOUR, value: 1, kwh: 1 }]);
        expect(snapshots.get(other.id)!.openHour).toEqual({ start: T0 + 2 * HOUR, kwh: 1, readings: 1 });
      });

      it('keep energies and values exactly as committed', async () => {
        const d = await device({ meterKind: 'cumulative' });
        const shard = await claim();
        const batch = emptyBatch();
        addReading(batch, d.id, T0, 123456.789012, 0);
        addReading(batch, d.id, T0 + MIN, 123457.000000001, 0.210987989);
        addReading(batch, d.id, T0 + 2 * MIN, 0.000001, 0.000001); // a reset
        await store.commit(shard, 1, batch);
        expect((await store.loadMany([d.id])).get(d.id)!.recent).toEqual(readingsOf(batch));
      });
    });

    describe('fencing', () => {
      it('grants max(epoch, stored + 1): strictly above every epoch ever fenced, even a lost or equal one', async () => {
        const shard = nextShard++;
        expect(await store.fence(shard, 5)).toBe(5); // first holder: its lease epoch
        expect(await store.fence(shard, 4)).toBe(6); // the lease store lost its counter
        expect(await store.fence(shard, 6)).toBe(7); // an equal epoch is never shared
        expect(await store.fence(shard, 20)).toBe(20);
      });

      it('makes a commit with any but the fenced epoch throw FencedError and write nothing', async () => {
        const d = await device();
        const shard = await claim(5);
        await store.fence(shard, 6);
        const batch = () => {
          const b = addReading(emptyBatch(), d.id, T0, 3);
          b.alerts.push(alert(d.id, 'exceeded', T0));
          return b;
        };
        await expect(store.commit(shard, 5, batch())).rejects.toBeInstanceOf(FencedError);
        await expect(store.commit(shard, 7, batch())).rejects.toBeInstanceOf(FencedError);
        await expect(store.commit(nextShard++, 1, batch())).rejects.toBeInstanceOf(FencedError); // never fenced
        expect(await contents(d.id)).toEqual({ readings: [], hours: new Map(), openHour: null, alerts: [] });

        const stored = await store.commit(shard, 6, batch());
        expect(stored).toHaveLength(1);
        expect((await contents(d.id)).readings).toEqual([{ ts: T0, value: 3, kwh: 3 }]);
      });
    });

    describe('readings', () => {
      it('a duplicate of a stored reading aborts the whole batch', async () => {
        const d = await device();
        const shard = await claim();
        await store.commit(shard, 1, addReading(emptyBatch(), d.id, T0, 1));
        const before = await contents(d.id);

        const batch = addReading(emptyBatch(), d.id, T0 + MIN, 2);
        addReading(batch, d.id, T0, 1);
        batch.updates.push({ deviceId: d.id, ts: T0, kwh: 0.5 });
        batch.alerts.push(alert(d.id, 'exceeded', T0));
        await expect(store.commit(shard, 1, batch)).rejects.toBeInstanceOf(DuplicateReadingError);
        expect(await contents(d.id)).toEqual(before);
      });

      it('the same reading twice in one batch aborts it', async () => {
        const d = await device();
        const shard = await claim();
        const batch = addReading(emptyBatch(), d.id, T0, 1);
        addReading(batch, d.id, T0, 1);
        await expect(store.commit(shard, 1, batch)).rejects.toBeInstanceOf(DuplicateReadingError);
        expect((await contents(d.id)).readings).toEqual([]);
      });

      it('updates change the energy of stored readings only', async () => {
        const d = await device({ meterKind: 'cumulative' });
        const shard = await claim();
        const batch = emptyBatch();
        addReading(batch, d.id, T0, 10, 0); // the baseline
        addReading(batch, d.id, T0 + 10 * MIN, 11, 1);
        addReading(batch, d.id, T0 + 20 * MIN, 13, 2);
        await store.commit(shard, 1, batch);
        const late = emptyBatch();
        late.updates.push({ deviceId: d.id, ts: T0 + 20 * MIN, kwh: 0.75 });
        late.updates.push({ deviceId: d.id, ts: T0 + 25 * MIN, kwh: 9 }); // not stored: ignored
        addReading(late, d.id, T0 + 15 * MIN, 12.25, 1.25);
        addHour(late, d.id, T0, -1.25, 0);
        await store.commit(shard, 1, late);
        expect((await contents(d.id)).readings).toEqual([
          { ts: T0, value: 10, kwh: 0 },
          { ts: T0 + 10 * MIN, value: 11, kwh: 1 },
          { ts: T0 + 15 * MIN, value: 12.25, kwh: 1.25 },
          { ts: T0 + 20 * MIN, value: 13, kwh: 0.75 },
        ]);
        expect((await contents(d.id)).openHour).toEqual({ start: T0, kwh: 3, readings: 4 });
      });
    });

    describe('hours', () => {
      it('accumulate deltas of energy and reading count, summed exactly to 1e-9 kWh', async () => {
        const d = await device();
        const shard = await claim();
        const delta = (kwh: number, readings: number) => {
          const b = emptyBatch();
          addHour(b, d.id, T0, kwh, readings);
          return b;
        };
        await store.commit(shard, 1, delta(0.1, 1));
        await store.commit(shard, 1, delta(0.2, 1));
        expect(await store.hourTotals(d.id, [T0])).toEqual(new Map([[T0, 0.3]]));
        await store.commit(shard, 1, delta(-0.05, 0));
        await store.commit(shard, 1, delta(0.000000001, 1));
        expect((await contents(d.id)).openHour).toEqual({ start: T0, kwh: 0.250000001, readings: 3 });
      });

      it('hourTotals returns the stored hours asked for, of that device only', async () => {
        const d = await device();
        const other = await device();
        const shard = await claim();
        const batch = addReading(emptyBatch(), d.id, T0, 1);
        addReading(batch, d.id, T0 + 2 * HOUR, 2.5);
        addReading(batch, other.id, T0 + HOUR, 4);
        await store.commit(shard, 1, batch);
        const totals = await store.hourTotals(d.id, [T0 - HOUR, T0, T0 + HOUR, T0 + 2 * HOUR]);
        expect([...totals.entries()].sort((a, b) => a[0] - b[0])).toEqual([
          [T0, 1],
          [T0 + 2 * HOUR, 2.5],
        ]);
        expect((await store.hourTotals(d.id, [])).size).toBe(0);
        // The newest hour is the open one, whatever the order of the rows.
        expect((await contents(d.id)).openHour).toEqual({ start: T0 + 2 * HOUR, kwh: 2.5, readings: 1 });
      });
    });

    describe('alerts', () => {
      it('are stored once per device, hour and kind; only the inserted ones come back, with createdAt', async () => {
        const d = await device();
        const other = await device();
        const shard = await claim();
        const first = alert(d.id, 'exceeded', T0);
        const stored = await store.commit(shard, 1, { ...emptyBatch(), alerts: [first] });
        expect(stored).toEqual([{ ...first, createdAt: expect.any(Number) }]);
        expect(Math.abs(stored[0]!.createdAt! - Date.now())).toBeLessThan(10 * MIN);

        const again = alert(d.id, 'exceeded', T0, 3);
        const projected = alert(d.id, 'projected', T0);
        const twice = alert(d.id, 'projected', T0);
        const nextHour = alert(d.id, 'exceeded', T0 + HOUR);
        const otherDevice = alert(other.id, 'exceeded', T0);
        const second = await store.commit(shard, 1, {
          ...emptyBatch(),
          alerts: [again, projected, twice, nextHour, otherDevice],
        });
        expect(second.map((a) => a.id)).toEqual([projected.id, nextHour.id, otherDevice.id]);
        expect(second.every((a) => typeof a.createdAt === 'number')).toBe(true);
        expect(
          await store.commit(shard, 1, { ...emptyBatch(), alerts: [alert(d.id, 'projected', T0)] }),
        ).toEqual([]);
      });

      it('of the open hour are in the snapshot', async () => {
        const d = await device();
        const shard = await claim();
        const batch = addReading(emptyBatch(), d.id, T0, 1);
        batch.alerts.push(alert(d.id, 'projected', T0), alert(d.id, 'exceeded', T0));
        await store.commit(shard, 1, batch);
        expect((await contents(d.id)).alerts).toEqual(['exceeded', 'projected']);
        await store.commit(shard, 1, addReading(emptyBatch(), d.id, T0 + HOUR, 1));
        expect((await contents(d.id)).alerts).toEqual([]);
      });
    });

    describe('devices', () => {
      it('a deleted device is gone with its rows, and a batch that still writes for it stores nothing', async () => {
        const [gone, kept] = [await device(), await device()];
        const shard = await claim();
        const batch = addReading(emptyBatch(), gone.id, T0, 1);
        batch.alerts.push(alert(gone.id, 'exceeded', T0));
        await store.commit(shard, 1, batch);
        await harness.deleteDevice(gone.id);
        expect((await store.loadMany([gone.id])).size).toBe(0);
        expect(await contents(gone.id)).toEqual({
          readings: [],
          hours: new Map(),
          openHour: null,
          alerts: [],
        });

        const late = addReading(emptyBatch(), kept.id, T0, 2);
        addReading(late, gone.id, T0 + MIN, 1);
        await expect(store.commit(shard, 1, late)).rejects.toThrow();
        expect((await contents(kept.id)).readings).toEqual([]);
      });

      it('refuses a reading of a deleted device even in a batch without its hour row', async () => {
        const [gone, kept] = [await device(), await device()];
        const shard = await claim();
        await harness.deleteDevice(gone.id);
        const batch = addReading(emptyBatch(), kept.id, T0, 2);
        batch.inserts.push({ deviceId: gone.id, ts: T0, value: 1, kwh: 1 });
        await expect(store.commit(shard, 1, batch)).rejects.toBeInstanceOf(UnknownDeviceError);
        expect((await contents(kept.id)).readings).toEqual([]);
      });
    });

    describe('commitMany', () => {
      it('commits jobs of several shards and returns each job its own inserted alerts', async () => {
        const [a, b] = [await device(), await device()];
        const [sa, sb] = [await claim(3), await claim(4)];
        const alertA = alert(a.id, 'exceeded', T0);
        const alertB = alert(b.id, 'exceeded', T0);
        const results = await store.commitMany([
          { shard: sa, epoch: 3, batch: { ...addReading(emptyBatch(), a.id, T0, 2), alerts: [alertA] } },
          { shard: sb, epoch: 4, batch: { ...addReading(emptyBatch(), b.id, T0, 5), alerts: [alertB] } },
        ]);
        expect(results.map((r) => r.map((x) => x.id))).toEqual([[alertA.id], [alertB.id]]);
        expect((await contents(a.id)).hours).toEqual(new Map([[T0, 2]]));
        expect((await contents(b.id)).hours).toEqual(new Map([[T0, 5]]));
      });

      it('fences off a stale job beside a current one of the same shard', async () => {
        const d = await device();
        const shard = await claim(4);
        expect(await store.fence(shard, 5)).toBe(5);
        const job = (epoch: number, ts: number) => ({
          shard,
          epoch,
          batch: addReading(emptyBatch(), d.id, ts, 1),
        });
        await expect(store.commitMany([job(5, T0), job(4, T0 + HOUR)])).rejects.toBeInstanceOf(FencedError);
        expect(await store.around(d.id, T0 - HOUR, T0 + HOUR)).toEqual([]);
      });

      it('is all or nothing: one fenced job or one duplicate fails every job of the call', async () => {
        const [a, b] = [await device(), await device()];
        const [sa, sb] = [await claim(1), await claim(1)];
        await store.commit(sb, 1, addReading(emptyBatch(), b.id, T0, 1));
        const before = [await contents(a.id), await contents(b.id)];
        const good = () => ({
          shard: sa,
          epoch: 1,
          batch: { ...addReading(emptyBatch(), a.id, T0 + MIN, 2), alerts: [alert(a.id, 'exceeded', T0)] },
        });

        await store.fence(sb, 2);
        const fenced = { shard: sb, epoch: 1, batch: addReading(emptyBatch(), b.id, T0 + MIN, 1) };
        await expect(store.commitMany([good(), fenced])).rejects.toBeInstanceOf(FencedError);
        const duplicate = { shard: sb, epoch: 2, batch: addReading(emptyBatch(), b.id, T0, 1) };
        await expect(store.commitMany([good(), duplicate])).rejects.toBeInstanceOf(DuplicateReadingError);
        expect([await contents(a.id), await contents(b.id)]).toEqual(before);

        await store.commitMany([good()]);
        expect((await contents(a.id)).hours).toEqual(new Map([[T0, 2]]));
      });
    });

    describe('configuration in shard order', () => {
      const counting = (over: Partial<CountingConfig> & { version: number }): CountingConfig => ({
        maxHourlyKwh: 10,
        timeZone: 'UTC',
        meterKind: 'interval',
        ...over,
      });
      const configure = (deviceId: string, config: CountingConfig): ShardBatch => ({
        ...emptyBatch(),
        configs: [{ deviceId, config }],
      });

      it('a newer version becomes the configuration in force; an older one never overrides it', async () => {
        const d = await device({ maxHourlyKwh: 10 });
        const shard = await claim();
        await store.commit(shard, 1, configure(d.id, counting({ maxHourlyKwh: 5, version: 2 })));
        await store.commit(shard, 1, configure(d.id, counting({ maxHourlyKwh: 7, version: 1 })));
        expect((await store.loadMany([d.id])).get(d.id)?.config.maxHourlyKwh).toBe(5);
      });

      it('a zone change re-buckets the stored hours from the per-reading energy', async () => {
        const d = await device();
        const shard = await claim();
        // 10:10 and 10:40 UTC: one UTC hour; in Kolkata (+05:30) 15:40 and 16:10, two hours.
        const batch = addReading(emptyBatch(), d.id, T0 + 10 * MIN, 1);
        addReading(batch, d.id, T0 + 40 * MIN, 2);
        await store.commit(shard, 1, batch);
        await store.commit(shard, 1, configure(d.id, counting({ timeZone: 'Asia/Kolkata', version: 1 })));
        const half = 30 * MIN;
        expect(await store.hourTotals(d.id, [T0 - half, T0, T0 + half])).toEqual(
          new Map([
            [T0 - half, 1],
            [T0 + half, 2],
          ]),
        );
        const snapshot = (await store.loadMany([d.id])).get(d.id);
        expect(snapshot?.config.timeZone).toBe('Asia/Kolkata');
        expect(snapshot?.openHour).toEqual({ start: T0 + half, kwh: 2, readings: 1 });
      });

      it('never changes the meter kind under stored readings', async () => {
        const d = await device({ meterKind: 'interval' });
        const shard = await claim();
        await store.commit(shard, 1, addReading(emptyBatch(), d.id, T0, 1));
        await store.commit(shard, 1, configure(d.id, counting({ meterKind: 'cumulative', version: 1 })));
        expect((await store.loadMany([d.id])).get(d.id)?.config.meterKind).toBe('interval');
      });
    });

    describe('alert outbox', () => {
      const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const claimFor = async (deviceId: string, claimMs: number) =>
        (await store.claimUnpublished(0, claimMs, 10_000)).filter((p) => p.deviceId === deviceId);

      it('owes a push for every stored alert until it is marked published; a claim hides it meanwhile', async () => {
        const owner = randomUUID();
        const d = await device({ name: 'heater', ownerId: owner, timeZone: 'Europe/Berlin' });
        const shard = await claim();
        const [stored] = await store.commit(shard, 1, {
          ...emptyBatch(),
          alerts: [alert(d.id, 'exceeded', T0)],
        });
        await pause(5);
        const claimed = await claimFor(d.id, 60_000);
        expect(claimed).toEqual([
          { ...stored, deviceName: 'heater', ownerId: owner, timeZone: 'Europe/Berlin' },
        ]);
        expect(await claimFor(d.id, 60_000)).toEqual([]); // claimed by the first sweeper
        await store.markPublished([stored!.id]);
        expect(await claimFor(d.id, 60_000)).toEqual([]);
      });

      it('hands an expired claim out again, and never a published alert', async () => {
        const d = await device();
        const shard = await claim();
        const [stored] = await store.commit(shard, 1, {
          ...emptyBatch(),
          alerts: [alert(d.id, 'exceeded', T0)],
        });
        await pause(5);
        expect((await claimFor(d.id, 1)).map((p) => p.id)).toEqual([stored!.id]);
        await pause(20);
        expect((await claimFor(d.id, 1)).map((p) => p.id)).toEqual([stored!.id]); // its sweeper died too
        await store.markPublished([stored!.id]);
        await pause(20);
        expect(await claimFor(d.id, 1)).toEqual([]);
      });
    });

    describe('silent meters', () => {
      const dueOf = async (deviceId: string, inMinutes: number) =>
        (await store.dueSilent(Date.now() + inMinutes * MIN, 100_000)).filter((d) => d.deviceId === deviceId);
      const silentAlert = (d: SilentDevice): SilentAlert => ({
        id: randomUUID(),
        deviceId: d.deviceId,
        kind: 'silent',
        hourStart: hourOf(d.dueAt),
        kwh: 0,
        maxHourlyKwh: d.maxHourlyKwh,
        late: false,
        since: d.since,
      });
      const counting = (over: Partial<CountingConfig> & { version: number }): CountingConfig => ({
        maxHourlyKwh: 10,
        timeZone: 'UTC',
        meterKind: 'interval',
        ...over,
      });

      it('a device with a limit is due once it passed, gets one alert per silence, with an outbox entry', async () => {
        const d = await device({ silentAfterMinutes: 5, maxHourlyKwh: 3 });
        const shard = await claim();
        expect(await dueOf(d.id, 4)).toEqual([]);
        const [due] = await dueOf(d.id, 6);
        expect(due).toMatchObject({
          deviceId: d.id,
          silentAfterMinutes: 5,
          maxHourlyKwh: 3,
          timeZone: 'UTC',
        });
        expect(due!.dueAt - due!.since).toBe(5 * MIN);

        const stored = await store.raiseSilent(shard, 1, [silentAlert(due!)]);
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject({ deviceId: d.id, kind: 'silent', kwh: 0, maxHourlyKwh: 3 });
        expect(stored[0]).not.toHaveProperty('since');
        expect(typeof stored[0]!.createdAt).toBe('number');
        expect(await dueOf(d.id, 6)).toEqual([]); // no longer due
        // The same silence again (a repeated sweep, a new lease holder): nothing more.
        expect(await store.raiseSilent(shard, 1, [silentAlert(due!)])).toEqual([]);
        expect(await harness.silentAlerts(d.id)).toEqual([
          { id: stored[0]!.id, since: due!.since, acknowledged: false },
        ]);
        const owed = (await store.claimUnpublished(0, 60_000, 10_000)).filter((p) => p.deviceId === d.id);
        expect(owed.map((p) => p.id)).toEqual([stored[0]!.id]);
        // Not an hour alert: the open hour's exceeded/projected dedupe does not see it.
        expect((await store.loadMany([d.id])).get(d.id)?.openHourAlerts).toEqual([]);
      });

      it('the next reading acknowledges the alert and starts a new silence; a stale sweep raises nothing', async () => {
        const d = await device({ silentAfterMinutes: 5 });
        const shard = await claim();
        const [first] = await dueOf(d.id, 6);
        await store.raiseSilent(shard, 1, [silentAlert(first!)]);
        await new Promise((r) => setTimeout(r, 5));
        await store.commit(shard, 1, addReading(emptyBatch(), d.id, T0, 1));
        expect((await harness.silentAlerts(d.id)).map((a) => a.acknowledged)).toEqual([true]);

        const [second] = await dueOf(d.id, 6);
        expect(second!.since).toBeGreaterThan(first!.since);
        // A sweep that read the device before a reading arrived must not raise it.
        const fresh = await device({ silentAfterMinutes: 5 });
        const [seen] = await dueOf(fresh.id, 6);
        await new Promise((r) => setTimeout(r, 5));
        await store.commit(shard, 1, addReading(emptyBatch(), fresh.id, T0, 1));
        expect(await store.raiseSilent(shard, 1, [silentAlert(seen!)])).toEqual([]);
        expect(await harness.silentAlerts(fresh.id)).toEqual([]);

        expect(await store.raiseSilent(shard, 1, [silentAlert(second!)])).toHaveLength(1);
        expect((await harness.silentAlerts(d.id)).map((a) => a.acknowledged)).toEqual([true, false]);
      });

      it('are fenced: a stale epoch stores nothing and leaves the device due', async () => {
        const d = await device({ silentAfterMinutes: 5 });
        const shard = await claim(1);
        await store.fence(shard, 2); // a new lease holder
        const [due] = await dueOf(d.id, 6);
        await expect(store.raiseSilent(shard, 1, [silentAlert(due!)])).rejects.toBeInstanceOf(FencedError);
        expect(await harness.silentAlerts(d.id)).toEqual([]);
        expect(await dueOf(d.id, 6)).toHaveLength(1);
      });

      it('the limit follows the configuration in shard order: set, changed, cleared', async () => {
        const d = await device();
        const shard = await claim();
        expect(await dueOf(d.id, 60 * 24 * 8)).toEqual([]); // no limit: never silent
        const configure = (config: CountingConfig) => ({
          ...emptyBatch(),
          configs: [{ deviceId: d.id, config }],
        });
        await store.commit(shard, 1, configure(counting({ version: 1, silentAfterMinutes: 30 })));
        expect(await dueOf(d.id, 20)).toEqual([]);
        expect(await dueOf(d.id, 31)).toHaveLength(1);
        await store.commit(shard, 1, configure(counting({ version: 2, silentAfterMinutes: 10 })));
        expect(await dueOf(d.id, 11)).toHaveLength(1);
        await store.commit(shard, 1, configure(counting({ version: 3, silentAfterMinutes: null })));
        expect(await dueOf(d.id, 60 * 24 * 8)).toEqual([]);
      });
    });

    describe('around', () => {
      it('returns the readings in [from, to] plus the one just before and the one just after, ascending', async () => {
        const d = await device();
        const other = await device();
        const shard = await claim();
        const batch = emptyBatch();
        for (const i of [4, 0, 2, 1, 3]) addReading(batch, d.id, T0 + i * 10 * MIN, i + 1);
        addReading(batch, other.id, T0 + 5 * MIN, 9);
        await store.commit(shard, 1, batch);
        const at = (...minutes: number[]) =>
          minutes.map((m) => ({ ts: T0 + m * MIN, value: m / 10 + 1, kwh: m / 10 + 1 }));
        const around = (from: number, to: number) => store.around(d.id, T0 + from * MIN, T0 + to * MIN);

        expect(await around(10, 30)).toEqual(at(0, 10, 20, 30, 40));
        expect(await around(5, 25)).toEqual(at(0, 10, 20, 30));
        expect(await around(20, 20)).toEqual(at(10, 20, 30));
        expect(await around(21, 29)).toEqual(at(20, 30));
        expect(await around(-60, -30)).toEqual(at(0));
        expect(await around(-60, 0)).toEqual(at(0, 10));
        expect(await around(40, 90)).toEqual(at(30, 40));
        expect(await around(50, 90)).toEqual(at(40));
        expect(await around(-60, 90)).toEqual(at(0, 10, 20, 30, 40));
      });
    });
  });
}
