import { registerDriverSuite } from '../drivers.suite.ts';
import { memoryBackend } from '../testing/backends.ts';

registerDriverSuite('memory', async () => {
  const backend = memoryBackend();
  const drivers = backend.connect();
  return {
    connect: () => drivers,
    redeliveryTimeoutMs: backend.redeliveryTimeoutMs,
    async listen(room, event) {
      const received: unknown[] = [];
      const unsubscribe = drivers.events.subscribe((rooms, name, payload) => {
        if (name === event && rooms.includes(room)) received.push(payload);
      });
      return { received, stop: async () => unsubscribe() };
    },
    teardown: () => backend.teardown(),
  };
});
