import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { afterAll } from 'vitest';
import { registerDriverSuite } from '../drivers.suite.ts';
import type { RuntimeDrivers } from '../types.ts';
import { createRedisDrivers, redisKeys } from './index.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const FILE_PREFIX = `ems-test-${Math.random().toString(36).slice(2, 10)}`;
let testNumber = 0;

async function deleteKeys(pattern: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

afterAll(() => deleteKeys(`${FILE_PREFIX}:*`));

registerDriverSuite('redis', async () => {
  // A prefix per test: no test sees another's jobs or leases.
  const keys = redisKeys(`${FILE_PREFIX}:${++testNumber}`);
  const opened: RuntimeDrivers[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  return {
    connect() {
      const drivers = createRedisDrivers({
        url: REDIS_URL,
        prefix: keys.prefix,
        queue: { lockDurationMs: 1500, stalledIntervalMs: 500, backoff: { baseMs: 10, capMs: 100 } },
      });
      opened.push(drivers);
      return drivers;
    },
    redeliveryTimeoutMs: 15_000,
    async listen(room, event) {
      // A real Socket.IO server with the Redis adapter, as an api node runs it.
      const pub = new Redis(REDIS_URL);
      const sub = pub.duplicate();
      const http = createServer();
      const server = new Server(http, { adapter: createAdapter(pub, sub, { key: keys.socketIo }) });
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
      cleanups.push(stop);
      return { received, stop };
    },
    async teardown() {
      await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
      await Promise.all(opened.map((drivers) => drivers.close()));
      await deleteKeys(keys.everything);
    },
  };
});
