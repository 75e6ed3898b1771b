/**
 * The group commit of MQTT messages (unit, with a recording producer): the
 * messages that arrive while an enqueue is in flight share the next one, in
 * arrival order; a failed enqueue rejects exactly the messages it carried.
 */
import { describe, expect, it } from 'vitest';
import type { ShardQueueProducer } from '../../runtime/types.ts';
import { EnqueueBatcher } from './batcher.ts';

const id = '7f1c2a9e-3d4b-4c5d-8e6f-0a1b2c3d4e5f';
const reading = (ts: number) => ({ deviceId: id, ts, value: 1 });

function recordingProducer() {
  const calls: unknown[][] = [];
  const gates: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const producer: ShardQueueProducer = {
    addBulk: ((_shard: number, payloads: unknown[]) => {
      calls.push(payloads);
      return new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
    }) as ShardQueueProducer['addBulk'],
  } as ShardQueueProducer;
  return { producer, calls, gates };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('EnqueueBatcher', () => {
  it('lets the messages that arrive during an enqueue share the next one, in order', async () => {
    const { producer, calls, gates } = recordingProducer();
    const batcher = new EnqueueBatcher(producer, 1);
    const first = batcher.enqueue([reading(1)]);
    await tick();
    const second = batcher.enqueue([reading(2)]);
    const third = batcher.enqueue([reading(3), reading(4)]);
    expect(calls).toHaveLength(1);
    gates[0]!.resolve();
    await first;
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual([
      {
        readings: [
          [id, 2, 1],
          [id, 3, 1],
          [id, 4, 1],
        ],
      },
    ]);
    gates[1]!.resolve();
    await expect(Promise.all([second, third])).resolves.toEqual([undefined, undefined]);
  });

  it('rejects the messages of a failed enqueue, and only those', async () => {
    const { producer, gates } = recordingProducer();
    const batcher = new EnqueueBatcher(producer, 1);
    const failed = batcher.enqueue([reading(1)]);
    await tick();
    gates[0]!.reject(new Error('redis down'));
    await expect(failed).rejects.toThrow('redis down');
    const later = batcher.enqueue([reading(2)]);
    await tick();
    gates[1]!.resolve();
    await expect(later).resolves.toBeUndefined();
  });
});
