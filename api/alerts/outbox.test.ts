/**
 * Alerts are pushed at least once (issue 10, invariant 3): every stored alert
 * has an outbox row written in its transaction; the node that stored it marks
 * it after pushing; an alert whose node died between COMMIT and push is
 * pushed by another node's sweeper with the same id, exactly when unmarked.
 */
import { describe, expect, it } from 'vitest';
import { ShardProcessor } from '../../actors/shard-processor.ts';
import { emptyBatch } from '../../actors/store.ts';
import { PostgresDeviceStore } from '../../db/device-store.ts';
import { shardOf } from '../../runtime/placement.ts';
import { useTestApp } from '../testing-hooks.ts';

const t = useTestApp({ runtime: true });

const outbox = (alertId: string) =>
  t.db.sql<
    { published: Date | null }[]
  >`select published_at as published from alert_outbox where alert_id = ${alertId}`;

describe('alert outbox', () => {
  it('marks an alert published once its node pushed it', async () => {
    const device = await t.createDevice({ maxHourlyKwh: 1 });
    const res = await t.request('POST', '/api/readings', {
      body: { readings: [{ deviceId: device.id, timestamp: Date.now() - 60_000, value: 3 }] },
    });
    expect(res.status).toBe(202);
    await t.settle();
    const [alert] = await t.db.sql<{ id: string }[]>`select id from alerts where device_id = ${device.id}`;
    expect(alert).toBeDefined();
    const pushed = t.events.filter(
      (e) => e.event === 'alert' && (e.payload as { id: string }).id === alert!.id,
    );
    expect(pushed).toHaveLength(1);
    const [row] = await outbox(alert!.id);
    expect(row!.published).not.toBeNull();
  });

  it('pushes again, with the same id, an alert stored by a node that died before pushing', async () => {
    const client = await t.createClient();
    const device = await t.createDevice({ maxHourlyKwh: 1, ownerId: client.id, name: 'Boiler' });
    const store = new PostgresDeviceStore(t.db.sql);
    const shard = shardOf(device.id, t.deps.shards);
    // The dying node: the shard's current holder committed the alert and never pushed it.
    const [fence] = await t.db.sql<
      { epoch: string }[]
    >`select epoch from shard_fences where shard = ${shard}`;
    const epoch = Number(fence!.epoch);
    const hourStart = Date.now() - (Date.now() % 3_600_000);
    const batch = emptyBatch();
    const id = crypto.randomUUID();
    batch.alerts.push({
      id,
      deviceId: device.id,
      kind: 'exceeded',
      hourStart,
      kwh: 3,
      maxHourlyKwh: 1,
      late: false,
    });
    const [stored] = await store.commit(shard, epoch, batch);
    expect(stored?.id).toBe(id);
    expect((await outbox(id))[0]!.published).toBeNull();

    const events: Array<{ rooms: string[]; event: string; payload: unknown }> = [];
    const survivor = new ShardProcessor({
      shards: t.deps.shards,
      store,
      events: {
        emit: (rooms, event, payload) => {
          events.push({ rooms, event, payload });
        },
      },
      sweepEveryMs: 0,
      sweepAfterMs: 0,
    });
    expect(await survivor.sweep()).toBeGreaterThanOrEqual(1);
    const mine = events.filter((e) => (e.payload as { id: string }).id === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.rooms.sort()).toEqual(['admins', `user:${client.id}`]);
    expect(mine[0]!.payload).toMatchObject({ id, deviceName: 'Boiler', kind: 'exceeded', kwh: 3 });
    expect((await outbox(id))[0]!.published).not.toBeNull();
    // Published: a second sweep leaves it alone.
    await survivor.sweep();
    expect(events.filter((e) => (e.payload as { id: string }).id === id)).toHaveLength(1);
    await survivor.close();
  });
});
