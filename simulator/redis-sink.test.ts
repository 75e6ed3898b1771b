/**
 * RedisSink against the real Redis: what a runtime node's shard consumer
 * receives is exactly what was sent, on the shard the api would have chosen,
 * in the api's payload format; and a batch the api would refuse is refused
 * the same way with nothing enqueued.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SHARD_QUEUE_NAME, type ShardJobPayload } from '../actors/messages.ts';
import { shardOf } from '../runtime/placement.ts';
import { deleteKeys, randomPrefix, redisBackend, TEST_REDIS_URL } from '../runtime/testing/backends.ts';
import type { ShardConsumer, ShardJob } from '../runtime/types.ts';
import { RedisSink } from './redis-sink.ts';
import { type Reading, SinkRejectedError } from './sink.ts';

const SHARDS = 8;
const FILE_PREFIX = randomPrefix();
let testNumber = 0;
const teardowns: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const teardown of teardowns.splice(0).reverse()) await teardown();
});
afterAll(() => deleteKeys(`${FILE_PREFIX}*`));

/** A sink and a runtime-side consumer of every shard, on a fresh prefix. */
function setUp() {
  const prefix = `${FILE_PREFIX}-${++testNumber}`;
  const backend = redisBackend(prefix, SHARD_QUEUE_NAME);
  const drivers = backend.connect();
  const received: Array<ShardJob<ShardJobPayload>> = [];
  const consumers: ShardConsumer[] = [];
  for (let shard = 0; shard < SHARDS; shard++) {
    consumers.push(
      drivers.consumer.open<ShardJobPayload>(shard, async (job) => {
        received.push(job);
      }),
    );
  }
  const sink = new RedisSink({ url: TEST_REDIS_URL, prefix, shards: SHARDS });
  teardowns.push(async () => {
    await sink.close();
    await Promise.all(consumers.map((c) => c.close()));
    await backend.teardown();
  });
  return { sink, received };
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const devices = [
  '0b7f3c1e-2f41-4b8e-9a51-6b1f0d2c9e01',
  '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  '2e8a6b1c-7d3f-4e2a-9b5c-1d0e3f4a5b6c',
  '3f9b7c2d-8e4a-4f3b-8c6d-2e1f4a5b6c7d',
  '4a0c8d3e-9f5b-4a4c-9d7e-3f2a5b6c7d8e',
];
const base = Date.parse('2026-03-10T00:00:00+02:00');

describe('RedisSink', () => {
  it('puts each reading on its device’s shard queue, in order, as the api’s tuples', async () => {
    const { sink, received } = setUp();
    const readings: Reading[] = [];
    for (let i = 0; i < 6; i++) {
      for (const [d, deviceId] of devices.entries()) {
        readings.push({
          deviceId,
          timestamp: new Date(base + i * 600_000).toISOString(),
          value: 100 * d + i / 4,
        });
      }
    }
    await expect(sink.send(readings)).resolves.toEqual({ accepted: readings.length });
    await until(() => received.reduce((n, j) => n + (j.payload.readings?.length ?? 0), 0) >= 30, 'jobs');

    const shardsUsed = new Set(devices.map((id) => shardOf(id, SHARDS)));
    expect(received).toHaveLength(shardsUsed.size); // one job per shard per batch, as the api sends
    for (const job of received) {
      for (const [deviceId] of job.payload.readings ?? []) expect(shardOf(deviceId, SHARDS)).toBe(job.shard);
    }
    const got = received.flatMap((job) => job.payload.readings ?? []);
    for (const deviceId of devices) {
      const sent = readings
        .filter((r) => r.deviceId === deviceId)
        .map((r) => [r.deviceId, Date.parse(r.timestamp), r.value]);
      expect(got.filter(([id]) => id === deviceId)).toEqual(sent);
    }
  });

  it.each([
    [
      'a negative value',
      { deviceId: devices[0]!, timestamp: '2026-03-10T00:10:00+02:00', value: -1 },
      'readings.1.value',
    ],
    [
      'a time without offset',
      { deviceId: devices[0]!, timestamp: '2026-03-10 00:10', value: 1 },
      'readings.1.timestamp',
    ],
    [
      'a device id that is no uuid',
      { deviceId: 'x', timestamp: '2026-03-10T00:10:00+02:00', value: 1 },
      'readings.1.deviceId',
    ],
    [
      'a time an hour ahead',
      { deviceId: devices[0]!, timestamp: new Date(Date.now() + 3_600_000).toISOString(), value: 1 },
      'readings.1.timestamp',
    ],
  ])(
    'refuses a batch with %s whole, as the api does (400 at %s), enqueueing nothing',
    async (_, bad, path) => {
      const { sink, received } = setUp();
      const good = { deviceId: devices[1]!, timestamp: '2026-03-10T00:00:00+02:00', value: 1 };
      const refusal = await sink.send([good, bad as Reading, good]).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(SinkRejectedError);
      const { status, code, details } = refusal as SinkRejectedError;
      expect({ status, code }).toEqual({ status: 400, code: 'invalid_request' });
      expect(details.map((d) => d.path)).toEqual([path]);

      // A good batch sent afterwards is the only thing the consumers ever see.
      await sink.send([good]);
      await until(() => received.length >= 1, 'the good batch');
      await new Promise((r) => setTimeout(r, 200));
      expect(received.flatMap((job) => job.payload.readings)).toEqual([[good.deviceId, base, 1]]);
    },
  );
});
