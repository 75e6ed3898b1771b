/**
 * Silent meters across a runtime failover, on the real Postgres and Redis:
 * two RuntimeNodes (Redis leases, short timings) each with a ShardProcessor on
 * the Postgres store. Node A raises a silent alert and "dies" before pushing
 * it; node B takes the shards over when A's leases expire, does not raise that
 * silence again (the alert is keyed by the silence's start), pushes A's alert
 * from the outbox with the same id, and raises the next silence once, while A,
 * still sweeping as a zombie that has not noticed its loss, is fenced off.
 * A reading through the shard queue then acknowledges the alert.
 *
 * Waiting five real minutes is not a test: a device's silence is moved into
 * the past in the database (`silent_since` and `silent_due_at` together), which
 * is what the clock would have done.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SHARD_QUEUE_NAME } from '../actors/messages.ts';
import { enqueueByShard } from '../actors/shard-jobs.ts';
import { ShardProcessor } from '../actors/shard-processor.ts';
import type { AlertEvent } from '../core/events.ts';
import { RuntimeNode } from '../runtime/node.ts';
import {
  FAST_TIMINGS,
  type RedisTestBackend,
  randomPrefix,
  redisBackend,
} from '../runtime/testing/backends.ts';
import type { EventPublisher } from '../runtime/types.ts';
import { PostgresDeviceStore } from './device-store.ts';
import { type TestDb, testDatabase } from './testing.ts';

const SHARDS = 4;
const until = (assertion: () => void | Promise<void>, timeout = 20_000) =>
  vi.waitFor(assertion, { timeout, interval: 50 });

describe('silent alerts across a runtime failover (Postgres, Redis)', () => {
  let db: TestDb;
  let backend: RedisTestBackend;
  const nodes: RuntimeNode[] = [];
  const processors: ShardProcessor[] = [];

  beforeAll(async () => {
    db = await testDatabase();
    backend = redisBackend(randomPrefix(), SHARD_QUEUE_NAME);
  });
  afterAll(async () => {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await Promise.allSettled(processors.map((p) => p.close()));
    await backend?.teardown();
    await db?.close();
  });

  /**
   * `sweepEveryMs`: how often the node sweeps the outbox. A claims its own unpushed alerts
   * too (300 ms); with A and B both sweeping every 200 ms, A re-claimed at every expiry
   * and B, in lockstep in half of all phases, never got one in (the test failed 1 in 2).
   */
  function startNode(nodeId: string, events: EventPublisher, sweepEveryMs = 200) {
    const errors: unknown[] = [];
    const processor = new ShardProcessor({
      shards: SHARDS,
      store: new PostgresDeviceStore(db.sql),
      events,
      sweepEveryMs,
      sweepAfterMs: 0,
      sweepClaimMs: 300,
      silenceEveryMs: 100,
      onError: (err) => errors.push(err),
    });
    const node = new RuntimeNode({
      nodeId,
      shards: SHARDS,
      drivers: backend.connect(),
      handler: processor,
      timings: FAST_TIMINGS,
    });
    node.on('error', () => {});
    processors.push(processor);
    nodes.push(node);
    return { processor, node, errors, started: node.start() };
  }

  async function silentDevice(): Promise<string> {
    const id = randomUUID();
    await db.sql`insert into devices (id, name, max_hourly_kwh, meter_kind, time_zone, silent_after_minutes)
      values (${id}, 'meter', 1, 'interval', 'UTC', 5)`;
    return id;
  }
  /** Lets six minutes pass for the device's silence. */
  const age = (id: string) =>
    db.sql`update devices set silent_since = silent_since - interval '6 minutes',
      silent_due_at = silent_due_at - interval '6 minutes' where id = ${id}`;
  const silentAlerts = (id: string) =>
    db.sql<{ id: string; acknowledged: boolean }[]>`
      select id, acknowledged_at is not null as acknowledged from alerts where device_id = ${id} and kind = 'silent'`;

  it('raises one alert per silence, pushed at least once, fenced on the old holder', async () => {
    // A: its pushes never leave the process (it dies before pushing).
    // Sweeping every second, its claim leaves B 700 ms of every second (B sweeps every 200 ms).
    const a = startNode('node-a', { emit: () => false }, 1000);
    await a.started;
    await until(() => expect(a.node.ownedShards()).toHaveLength(SHARDS));

    const first = await silentDevice();
    await age(first);
    await until(async () => expect(await silentAlerts(first)).toHaveLength(1));
    const [stored] = await silentAlerts(first);

    await a.node.kill(); // leases left to expire; its processor still believes it holds the shards
    const pushedByB: AlertEvent[] = [];
    const b = startNode('node-b', {
      emit: (_rooms, event, payload) => {
        if (event === 'alert') pushedByB.push(payload as AlertEvent);
        return true;
      },
    });
    await b.started;
    await until(() => expect(b.node.ownedShards()).toHaveLength(SHARDS));

    // A's alert reaches the receivers through B's outbox sweep, with the same id; no second one.
    await until(() => expect(pushedByB.map((p) => p.id)).toContain(stored!.id));
    expect(await silentAlerts(first)).toHaveLength(1);

    // The next silence: the zombie A is fenced off, B raises it, once.
    const second = await silentDevice();
    await age(second);
    // Whether A's sweep comes before B's (fenced) or after (nothing due), it raises nothing.
    expect(await a.processor.sweepSilent()).toEqual([]);
    await until(async () => expect(await silentAlerts(second)).toHaveLength(1));
    expect(a.errors.every((e) => (e as Error).name === 'FencedError')).toBe(true);
    await new Promise((r) => setTimeout(r, 500)); // several more sweeps of both nodes
    expect(await silentAlerts(second)).toHaveLength(1);
    expect(pushedByB.filter((p) => p.kind === 'silent' && p.deviceId === second)).toHaveLength(1);

    // A reading through the shard queue acknowledges it, in the reading's transaction.
    await enqueueByShard(
      backend.connect().producer,
      SHARDS,
      [second],
      (d) => d,
      (ids) => ({
        readings: ids.map((d) => [d, Date.now() - 1000, 0.1] as [string, number, number]),
      }),
    );
    await until(async () => expect((await silentAlerts(second)).map((x) => x.acknowledged)).toEqual([true]));
    expect((await silentAlerts(first)).map((x) => x.acknowledged)).toEqual([false]);
  }, 60_000);
});
