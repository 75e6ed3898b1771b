/**
 * The in-memory runtime drivers: everything the runtime needs from Redis,
 * held in this process. Used by the single-process mode (`ems start`) and by
 * tests; one instance is shared by every node and api in the process.
 */
import type { RuntimeDrivers } from '../types.ts';
import { MemoryEventPublisher } from './events.ts';
import { MemoryLeaseStore } from './leases.ts';
import { MemoryMembership } from './membership.ts';
import { MemoryShardQueues, type MemoryShardQueuesOptions } from './shard-queues.ts';

export { type EventListener, MemoryEventPublisher } from './events.ts';
export { MemoryLeaseStore } from './leases.ts';
export { MemoryMembership } from './membership.ts';
export { MemoryShardQueues, type MemoryShardQueuesOptions } from './shard-queues.ts';

export interface MemoryDrivers extends RuntimeDrivers {
  events: MemoryEventPublisher;
  queues: MemoryShardQueues;
}

export interface MemoryDriversOptions extends MemoryShardQueuesOptions {
  /** Errors thrown by event listeners. */
  onListenerError?: (error: unknown) => void;
}

export function createMemoryDrivers(options: MemoryDriversOptions = {}): MemoryDrivers {
  const queues = new MemoryShardQueues(options);
  return {
    membership: new MemoryMembership(),
    leases: new MemoryLeaseStore(),
    // The api closes its producer on shutdown; that must not stop this process's consumers.
    producer: { addBulk: (shard, payloads) => queues.addBulk(shard, payloads), close: async () => {} },
    consumer: queues,
    queues,
    events: new MemoryEventPublisher(options.onListenerError),
    close: () => queues.close(),
  };
}
