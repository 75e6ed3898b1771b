/**
 * The shared driver suite's harness over Redis, one Redis or a Cluster: the
 * drivers of a RedisTestBackend, and an event listener that is a real
 * Socket.IO server with the Redis adapter, as an api node runs it (over a
 * Cluster the classic adapter: PUBLISH reaches subscribers on every node).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import type { DriverHarness } from '../drivers.suite.ts';
import { connectRedis, subscriptionsInPlace } from '../redis/connect.ts';
import type { RedisTestBackend } from './backends.ts';

export function redisDriverHarness(backend: RedisTestBackend, url: string): DriverHarness {
  const listeners: (() => Promise<void>)[] = [];
  return {
    connect: () => backend.connect(),
    redeliveryTimeoutMs: backend.redeliveryTimeoutMs,
    async listen(room, event) {
      const pub = connectRedis({ url });
      const sub = connectRedis({ url });
      await subscriptionsInPlace(sub); // as the gateway does: a cluster's subscriber connection first
      const http = createServer();
      const server = new Server(http, { adapter: createAdapter(pub, sub, { key: backend.keys.socketIo }) });
      server.on('connection', (socket) => socket.join(room));
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      await subscriptionsInPlace(sub); // the adapter's subscriptions are in place
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
}
