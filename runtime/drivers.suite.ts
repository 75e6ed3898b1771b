/**
 * The one driver test suite, registered by runtime/memory/drivers.test.ts and
 * runtime/redis/drivers.test.ts: whatever a runtime node or the api relies on
 * from leases, membership, shard queues and events must hold for both.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PoisonJobError, type RuntimeDrivers, type ShardJob } from './types.ts';

export interface EventProbe {
  /** Payloads of `event` received by a client that joined exactly the listening room. */
  received: unknown[];
  stop(): Promise<void>;
}

export interface DriverHarness {
  /**
   * One process's view of the shared backend: every call to `connect` sees the
   * same leases, members and queues (memory: the same object; Redis: new
   * connections with the same prefix). The harness closes them in teardown.
   */
  connect(): RuntimeDrivers;
  /** Starts receiving `event` as a subscriber in `room` would. */
  listen(room: string, event: string): Promise<EventProbe>;
  /** Upper bound for a killed consumer's job to reach another consumer. */
  redeliveryTimeoutMs: number;
  teardown(): Promise<void>;
}

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
};

/** A job held in flight: `hold()` in a handler opens `inFlight`, then waits until `release` opens. */
const heldInFlight = () => {
  const inFlight = gate();
  const release = gate();
  const hold = async () => {
    inFlight.open();
    await release.opened;
  };
  return { inFlight, release, hold };
};

const until = <T>(assertion: () => T | Promise<T>, timeout = 10_000) =>
  vi.waitFor(assertion, { timeout, interval: 25 });

export function registerDriverSuite(name: string, setup: () => Promise<DriverHarness>): void {
  describe(`${name} runtime drivers`, () => {
    let harness: DriverHarness;
    let drivers: RuntimeDrivers;

    beforeEach(async () => {
      harness = await setup();
      drivers = harness.connect();
    });
    afterEach(async () => {
      await harness.teardown();
    });

    describe('leases', () => {
      it('are exclusive while held', async () => {
        const grant = await drivers.leases.acquire(3, 'node-a', 10_000);
        expect(grant).toEqual({ shard: 3, epoch: expect.any(Number) });
        expect(await drivers.leases.acquire(3, 'node-b', 10_000)).toBeNull();
        expect(await drivers.leases.holderOf(3)).toBe('node-a');
        // Other shards are independent.
        expect(await drivers.leases.acquire(4, 'node-b', 10_000)).not.toBeNull();
      });

      it('re-granted to the same holder get a higher epoch', async () => {
        const first = await drivers.leases.acquire(1, 'node-a', 10_000);
        const second = await drivers.leases.acquire(1, 'node-a', 10_000);
        expect(second!.epoch).toBeGreaterThan(first!.epoch);
        expect(await drivers.leases.renew(1, 'node-a', first!.epoch, 10_000)).toBe(false);
        expect(await drivers.leases.renew(1, 'node-a', second!.epoch, 10_000)).toBe(true);
      });

      it('expire, after which another holder acquires with a higher epoch', async () => {
        const first = await drivers.leases.acquire(7, 'node-a', 300);
        await until(async () => expect(await drivers.leases.holderOf(7)).toBeNull());
        const second = await drivers.leases.acquire(7, 'node-b', 10_000);
        expect(second!.epoch).toBeGreaterThan(first!.epoch);
        expect(await drivers.leases.holderOf(7)).toBe('node-b');
        // The old holder can neither renew nor release its successor's lease.
        expect(await drivers.leases.renew(7, 'node-a', first!.epoch, 10_000)).toBe(false);
        await drivers.leases.release(7, 'node-a', first!.epoch);
        expect(await drivers.leases.holderOf(7)).toBe('node-b');
      });

      it('renew only for the current holder and epoch, and renewing keeps the lease alive', async () => {
        const grant = await drivers.leases.acquire(2, 'node-a', 1000);
        expect(await drivers.leases.renew(2, 'node-b', grant!.epoch, 1000)).toBe(false);
        expect(await drivers.leases.renew(2, 'node-a', grant!.epoch - 1, 1000)).toBe(false);
        // Renewed over almost twice the lease duration: still held throughout.
        for (let i = 0; i < 12; i++) {
          expect(await drivers.leases.renew(2, 'node-a', grant!.epoch, 1000)).toBe(true);
          await new Promise((r) => setTimeout(r, 150));
        }
        expect(await drivers.leases.holderOf(2)).toBe('node-a');
      });

      it('are released by their holder, freeing the shard at once', async () => {
        const grant = await drivers.leases.acquire(5, 'node-a', 60_000);
        await drivers.leases.release(5, 'node-b', grant!.epoch);
        await drivers.leases.release(5, 'node-a', grant!.epoch + 1);
        expect(await drivers.leases.holderOf(5)).toBe('node-a');
        await drivers.leases.release(5, 'node-a', grant!.epoch);
        expect(await drivers.leases.holderOf(5)).toBeNull();
        const next = await drivers.leases.acquire(5, 'node-b', 60_000);
        expect(next!.epoch).toBeGreaterThan(grant!.epoch);
      });

      it('are seen the same way by every process', async () => {
        const other = harness.connect();
        const grant = await drivers.leases.acquire(9, 'node-a', 60_000);
        expect(await other.leases.acquire(9, 'node-b', 60_000)).toBeNull();
        expect(await other.leases.holderOf(9)).toBe('node-a');
        expect(await other.leases.renew(9, 'node-a', grant!.epoch, 60_000)).toBe(true);
      });
    });

    describe('membership', () => {
      it('lists live nodes sorted, forgets nodes that leave or stop heartbeating', async () => {
        await drivers.membership.heartbeat('node-b', 60_000);
        await drivers.membership.heartbeat('node-a', 60_000);
        await drivers.membership.heartbeat('node-c', 300);
        expect(await harness.connect().membership.liveNodes()).toContain('node-a');
        await drivers.membership.leave('node-a');
        await until(async () => expect(await drivers.membership.liveNodes()).toEqual(['node-b']));
        // A fresh heartbeat brings a node back.
        await drivers.membership.heartbeat('node-c', 60_000);
        expect(await drivers.membership.liveNodes()).toEqual(['node-b', 'node-c']);
      });
    });

    describe('shard queues', () => {
      it('deliver jobs one at a time in the order they were added, including jobs added before opening', async () => {
        await drivers.producer.addBulk(4, [1, 2, 3]);
        const seen: ShardJob<number>[] = [];
        let active = 0;
        let maxActive = 0;
        const consumer = drivers.consumer.open<number>(4, async (job) => {
          maxActive = Math.max(maxActive, ++active);
          await new Promise((r) => setTimeout(r, 1));
          seen.push(job);
          active--;
        });
        const other = harness.connect().producer;
        await other.addBulk(4, [4, 5, 6]);
        // Single-job adds issued together (one per api request) keep their call order too.
        await Promise.all([7, 8, 9, 10].map((n) => other.addBulk(4, [n])));
        await drivers.producer.addBulk(4, []);
        await until(() => expect(seen).toHaveLength(10));
        expect(seen.map((job) => job.payload)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(seen.every((job) => job.shard === 4 && job.attempt === 1)).toBe(true);
        expect(new Set(seen.map((job) => job.id)).size).toBe(10);
        // Ids are unique across shards too.
        const elsewhere: string[] = [];
        const c5 = drivers.consumer.open(5, async (job) => {
          elsewhere.push(job.id);
        });
        await drivers.producer.addBulk(5, ['x']);
        await until(() => expect(elsewhere).toHaveLength(1));
        expect(seen.map((job) => job.id)).not.toContain(elsewhere[0]);
        await c5.close();
        expect(maxActive).toBe(1);
        await consumer.close();
      });

      it('keep shards apart', async () => {
        const seen: string[] = [];
        const c1 = drivers.consumer.open<string>(1, async (job) => {
          seen.push(`1:${job.payload}`);
        });
        await drivers.producer.addBulk(2, ['x']);
        await drivers.producer.addBulk(1, ['y']);
        await until(() => expect(seen).toEqual(['1:y']));
        await c1.close();
        const c2 = drivers.consumer.open<string>(2, async (job) => {
          seen.push(`2:${job.payload}`);
        });
        await until(() => expect(seen).toEqual(['1:y', '2:x']));
        await c2.close();
      });

      it('retry a job whose handler throws until it succeeds, before the jobs behind it', async () => {
        const seen: string[] = [];
        const consumer = drivers.consumer.open<string>(6, async (job) => {
          seen.push(`${job.payload}@${job.attempt}`);
          if (job.payload === 'b' && job.attempt < 3) throw new Error('database unavailable');
        });
        await drivers.producer.addBulk(6, ['a', 'b', 'c']);
        await until(() => expect(seen).toContain('c@1'));
        expect(seen).toEqual(['a@1', 'b@1', 'b@2', 'b@3', 'c@1']);
        await consumer.close();
      });

      it('move a poison job aside at once, keep it listed, run the jobs behind it, and requeue it on demand', async () => {
        const seen: string[] = [];
        let cured = false;
        const consumer = drivers.consumer.open<string>(7, async (job) => {
          seen.push(`${job.payload}@${job.attempt}`);
          if (job.payload === 'bad' && !cured) throw new PoisonJobError('not a reading batch');
        });
        await drivers.producer.addBulk(7, ['a', 'bad', 'c']);
        await until(() => expect(seen).toContain('c@1'));
        expect(seen).toEqual(['a@1', 'bad@1', 'c@1']); // tried once, never retried
        const aside = await until(async () => {
          const jobs = await drivers.consumer.poisoned<string>(7);
          expect(jobs).toHaveLength(1);
          return jobs;
        });
        expect(aside[0]).toMatchObject({ shard: 7, payload: 'bad', reason: 'not a reading batch' });
        expect(aside[0]!.at).toBeGreaterThan(Date.now() - 60_000);
        expect(await drivers.consumer.poisoned(6)).toEqual([]);
        // Fixed (a deploy, a data repair): the operator puts it back and it runs.
        cured = true;
        expect(await drivers.consumer.requeuePoisoned(7)).toBe(1);
        await until(() => expect(seen.filter((s) => s.startsWith('bad@'))).toHaveLength(2));
        await until(async () => expect(await drivers.consumer.poisoned(7)).toEqual([]));
        await consumer.close();
      });

      it('close waits for the job in flight, then takes no more jobs', async () => {
        const held = heldInFlight();
        const seen: number[] = [];
        const consumer = drivers.consumer.open<number>(8, async (job) => {
          if (job.payload === 1) await held.hold();
          seen.push(job.payload);
        });
        await drivers.producer.addBulk(8, [1]);
        await held.inFlight.opened;
        let closed = false;
        const closing = consumer.close().then(() => {
          closed = true;
        });
        await drivers.producer.addBulk(8, [2]);
        await new Promise((r) => setTimeout(r, 200));
        expect(closed).toBe(false);
        held.release.open();
        await closing;
        expect(seen).toEqual([1]);
        // Job 1 was acknowledged (not redelivered); job 2 waits for the next owner.
        const next: number[] = [];
        const successor = drivers.consumer.open<number>(8, async (job) => {
          next.push(job.payload);
        });
        await until(() => expect(next).toEqual([2]));
        await successor.close();
      });

      it('keep a job that is still failing when its consumer closes, for the next consumer, in order', async () => {
        const failing = gate();
        const consumer = drivers.consumer.open<string>(10, async () => {
          failing.open();
          throw new Error('still broken');
        });
        await drivers.producer.addBulk(10, ['first', 'second']);
        await failing.opened;
        await consumer.close();
        const seen: string[] = [];
        const successor = harness.connect().consumer.open<string>(10, async (job) => {
          seen.push(job.payload);
        });
        await until(() => expect(seen).toEqual(['first', 'second']));
        await successor.close();
      });

      it('start a new consumer only after the previous one finished its job in flight', async () => {
        const held = heldInFlight();
        const events: string[] = [];
        const previous = drivers.consumer.open<string>(14, async (job) => {
          events.push(`start ${job.payload}`);
          await held.hold();
          events.push(`end ${job.payload}`);
        });
        await drivers.producer.addBulk(14, ['one', 'two']);
        await held.inFlight.opened;
        const closing = previous.close();
        const next = harness.connect().consumer.open<string>(14, async (job) => {
          events.push(`start ${job.payload}`);
          events.push(`end ${job.payload}`);
        });
        await new Promise((r) => setTimeout(r, 300));
        held.release.open();
        await closing;
        await until(() => expect(events).toHaveLength(4));
        expect(events).toEqual(['start one', 'end one', 'start two', 'end two']);
        await next.close();
      });

      it('redeliver the job in flight on a consumer that died to the next consumer', async () => {
        const dyingProcess = harness.connect();
        const inFlight = gate();
        const consumer = dyingProcess.consumer.open<string>(12, async () => {
          inFlight.open();
          await new Promise(() => {}); // the process hangs and then dies mid-job
        });
        await drivers.producer.addBulk(12, ['mid-crash', 'after']);
        await inFlight.opened;
        expect(consumer.kill).toBeTypeOf('function');
        await consumer.kill!();
        const seen: ShardJob<string>[] = [];
        const successor = drivers.consumer.open<string>(12, async (job) => {
          seen.push(job);
        });
        await until(() => expect(seen).toHaveLength(2), harness.redeliveryTimeoutMs);
        expect(seen.map((job) => job.payload)).toEqual(['mid-crash', 'after']);
        expect(seen[0]!.attempt).toBeGreaterThan(1);
        await successor.close();
      });
    });

    describe('events', () => {
      it('reach subscribers of the rooms they were emitted to, and no others', async () => {
        const owner = await harness.listen('user:42', 'alert');
        const stranger = await harness.listen('user:7', 'alert');
        const alert = { deviceId: 'd1', kind: 'exceeded' };
        // The first emit may race the subscriber's Redis subscription: emit until it lands.
        await until(() => {
          drivers.events.emit(['user:42', 'admins'], 'alert', alert);
          expect(owner.received.length).toBeGreaterThan(0);
        });
        expect(owner.received[0]).toEqual(alert);
        drivers.events.emit(['user:7'], 'other-event', { ignored: true });
        await until(() => expect(stranger.received).toEqual([]));
        await owner.stop();
        await stranger.stop();
      });
    });
  });
}
