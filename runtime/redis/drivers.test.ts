import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { afterAll } from 'vitest';
import { registerDriverSuite } from '../drivers.suite.ts';
import { deleteKeys, randomPrefix, redisBackend, TEST_REDIS_URL } from '../testing/backends.ts';

const FILE_PREFIX = randomPrefix();
let testNumber = 0;

afterAll(() => deleteKeys(`${FILE_PREFIX}:*`));

registerDriverSuite('redis', async () => {
  // A prefix per test: no test sees another's jobs or leases.
  const backend = redisBackend(`${FILE_PREFIX}:${++testNumber}`);
  const listeners: (() => Promise<void>)[] = [];
  return {
    connect: () => backend.connect(),
    redeliveryTimeoutMs: backend.redeliveryTimeoutMs,
    async listen(room, event) {
      // A real Socket.IO server with the Redis adapter, as an api node runs it.
      const pub = new Redis(TEST_REDIS_URL);
      const sub = pub.duplicate();
      const http = createServer();
      const server = new Server(http, { adapter: createAdapter(pub, sub, { key: backend.keys.socketIo }) });
      server.on('connection', (socket) => socket.join(room));
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const { port } = http.address() as AddressInfo;
      const client = connectClient(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
      const received: unknown[] = [];
      client.on(event, (payload: unknown) => received.push(payload));
      await new Promise<void>((resolve) => client.on('connect', () => resolve()));
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        client.close();
        await server.close();
        await Promise.allSettled([pub.quit(), sub.quit()]);
      };
      listeners.push(stop);
      return { received, stop };
    },
    async teardown() {
      await Promise.allSettled(listeners.map((stop) => stop()));
      await backend.teardown();
    },
  };
});
