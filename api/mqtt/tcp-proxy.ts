/**
 * Test support: a TCP proxy on loopback in front of a service (Redis, the
 * broker) whose connections can be cut, and whose answers can be held back. With the answers held, a command reaches the
 * server and takes effect there, but the client never hears that it did — the
 * window between "durable" and "acknowledged" that the SIGKILL test aims at.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** From now on, nothing the server sends reaches the clients. */
  holdResponses(): void;
  /** Cuts every connection now (as a network failure would); new ones are accepted. */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let held = false;
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!held) client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    holdResponses: () => {
      held = true;
    },
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
