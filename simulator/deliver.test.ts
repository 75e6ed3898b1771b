import { describe, expect, it } from 'vitest';
import { deliver } from './deliver.ts';
import { makePacing, type SimReading } from './schedule.ts';
import { type Reading, type ReadingSink, SinkRejectedError } from './sink.ts';

/** Pure unit tests of the loop with an in-memory sink. */
class RecordingSink implements ReadingSink {
  batches: Reading[][] = [];
  constructor(private readonly onSend?: (batch: readonly Reading[], n: number) => void) {}
  async send(readings: readonly Reading[]) {
    this.batches.push([...readings]);
    this.onSend?.(readings, this.batches.length);
    return { accepted: readings.length };
  }
}

const T0 = Date.parse('2026-03-10T00:00:00Z');
function steps(devices: string[], count: number, intervalMs = 60_000): SimReading[] {
  return Array.from({ length: count }, (_, step) =>
    devices.map((deviceId) => ({ deviceId, at: T0 + step * intervalMs, value: step })),
  ).flat();
}

describe('deliver', () => {
  it('batches readings of many devices together, up to the batch size', async () => {
    const sink = new RecordingSink();
    const result = await deliver(steps(['a', 'b', 'c'], 10), {
      sink,
      pacing: makePacing({ mode: 'max' }),
      batchSize: 7,
      concurrency: 1,
    });
    expect(result).toMatchObject({ outcome: 'done', stats: { delivered: 30, accepted: 30, batches: 5 } });
    expect(sink.batches.map((b) => b.length)).toEqual([7, 7, 7, 7, 2]);
    expect(new Set(sink.batches[0]!.map((r) => r.deviceId))).toEqual(new Set(['a', 'b', 'c']));
    expect(sink.batches[0]![0]).toEqual({ deviceId: 'a', timestamp: '2026-03-10T00:00:00.000Z', value: 0 });
  });

  it('in paced runs sends what is due as one request instead of waiting for a full batch', async () => {
    let now = 1_000;
    const sink = new RecordingSink();
    await deliver(steps(['a', 'b'], 3), {
      sink,
      pacing: makePacing({ mode: 'speed', speed: 60, simStartMs: T0, realStartMs: 1_000 }),
      batchSize: 1000,
      concurrency: 4,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    // One simulated minute per real second: three ticks, each with both devices.
    expect(sink.batches.map((b) => b.map((r) => r.deviceId))).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(now).toBe(3_000);
  });

  it('stops at a refused batch and reports it', async () => {
    const sink = new RecordingSink((_, n) => {
      if (n === 2) throw new SinkRejectedError(422, 'unprocessable', 'Unknown device.');
    });
    const result = await deliver(steps(['a'], 10), {
      sink,
      pacing: makePacing({ mode: 'max' }),
      batchSize: 2,
      concurrency: 1,
    });
    expect(result.outcome).toBe('failed');
    expect(result.error).toBeInstanceOf(SinkRejectedError);
    expect(sink.batches).toHaveLength(2);
    expect(result.stats.delivered).toBe(2);
  });

  it('when stopped, lets the batch in flight finish and sends nothing more', async () => {
    const controller = new AbortController();
    const sink = new RecordingSink((_, n) => {
      if (n === 1) controller.abort();
    });
    const result = await deliver(steps(['a', 'b'], 50), {
      sink,
      pacing: makePacing({ mode: 'max' }),
      batchSize: 10,
      concurrency: 1,
      signal: controller.signal,
    });
    expect(result.outcome).toBe('stopped');
    expect(result.stats.delivered).toBe(10);
    expect(sink.batches).toHaveLength(1);
  });
});
