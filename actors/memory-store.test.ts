/** The shared store suite (actors/store.suite.ts) against the in-memory DeviceStore. */
import { MemoryDeviceStore } from './memory-store.ts';
import { registerStoreSuite } from './store.suite.ts';

registerStoreSuite('memory', async () => {
  const store = new MemoryDeviceStore();
  return {
    store,
    addDevice: async (config) => store.putDevice(config),
    deleteDevice: async (id) => store.deleteDevice(id),
    silentAlerts: async (id) => store.silentAlertsOf(id),
    teardown: async () => {},
  };
});
