import { registerDriverSuite } from '../drivers.suite.ts';
import { createMemoryDrivers } from './index.ts';

registerDriverSuite('memory', async () => {
  const drivers = createMemoryDrivers({ backoff: { baseMs: 10, capMs: 100 } });
  return {
    connect: () => drivers,
    redeliveryTimeoutMs: 2000,
    async listen(room, event) {
      const received: unknown[] = [];
      const unsubscribe = drivers.events.subscribe((rooms, name, payload) => {
        if (name === event && rooms.includes(room)) received.push(payload);
      });
      return { received, stop: async () => unsubscribe() };
    },
    teardown: () => drivers.close(),
  };
});
