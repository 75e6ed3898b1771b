/**
 * A TCP load balancer for fault tests: the one address clients know, in front
 * of several api nodes, the way a deployment's load balancer is. Each new
 * connection goes to the next target round-robin; a target that refuses the
 * connection (a killed node) is skipped and the next one tried, so clients
 * that reconnect after a node died land on a live one. Loopback only.
 */
import net from 'node:net';
import { listenOnLoopback, tie } from './relay.ts';

export interface TcpBalancer {
  readonly port: number;
  readonly url: string;
  /** Connections that reached each target, by target port. */
  readonly accepted: Map<number, number>;
  close(): Promise<void>;
}

export async function startTcpBalancer(targets: Array<{ host: string; port: number }>): Promise<TcpBalancer> {
  const sockets = new Set<net.Socket>();
  const accepted = new Map<number, number>();
  let next = 0;

  const connectAny = (
    tried: number,
    onUp: (upstream: net.Socket, port: number) => void,
    onNone: () => void,
  ) => {
    if (tried >= targets.length) return onNone();
    const target = targets[next++ % targets.length]!;
    const upstream = net.connect(target.port, target.host);
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      onUp(upstream, target.port);
    });
    upstream.once('error', () => connectAny(tried + 1, onUp, onNone));
  };

  const server = net.createServer((client) => {
    client.pause();
    sockets.add(client);
    client.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    connectAny(
      0,
      (upstream, port) => {
        accepted.set(port, (accepted.get(port) ?? 0) + 1);
        tie(sockets, client, upstream, 'destroy');
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      },
      () => client.resetAndDestroy(),
    );
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
