/**
 * A TCP proxy that a fault test controls, put between EMS processes and
 * Postgres or Redis (loopback only). It forwards bytes both ways and can:
 *
 * - `cut(ms)`: destroy every open connection and refuse new ones for `ms`
 *   (a network partition or a restart of the server behind it, as the
 *   clients see it: their sockets reset and reconnects fail until it ends);
 * - `killConnections()`: reset the open connections only (a server restart
 *   that comes straight back: every pooled connection dies once);
 * - `latency(ms)`: delay every chunk in both directions.
 *
 * Refused connections are accepted and destroyed at once, so a client sees a
 * reset rather than a hang (the same as a closed port). It guards nothing in
 * production; it exists so that outages can be proved without touching the
 * shared Postgres and Redis of the machine.
 */
import net from 'node:net';
import { listenOnLoopback, tie } from './relay.ts';

export interface TcpProxy {
  /** The port clients connect to (127.0.0.1). */
  readonly port: number;
  /** Rewrites a redis:// or postgres:// URL so it goes through this proxy. */
  url(target: string): string;
  /** Resets every open connection and refuses new ones for the next `ms`. */
  cut(ms: number): void;
  /** Refuses new connections and resets the open ones until `heal()`. */
  partition(): void;
  heal(): void;
  /** Resets the open connections; new ones are accepted. */
  killConnections(): void;
  /** Adds `ms` of delay to every chunk forwarded, both ways (0 removes it). */
  latency(ms: number): void;
  /** Connections currently open. */
  readonly open: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let refusingUntil = 0;
  let partitioned = false;
  let delayMs = 0;

  const refusing = () => partitioned || Date.now() < refusingUntil;

  const pipe = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk) => {
      if (delayMs === 0) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      // Pause while a delayed chunk is pending so order is kept.
      from.pause();
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
        from.resume();
      }, delayMs);
    });
  };

  const server = net.createServer((client) => {
    if (refusing()) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    tie(sockets, client, upstream, 'reset');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    pipe(client, upstream);
    pipe(upstream, client);
  });
  const port = await listenOnLoopback(server);

  const resetAll = () => {
    for (const socket of sockets) if (!socket.destroyed) socket.resetAndDestroy();
    sockets.clear();
  };

  return {
    port,
    url(target: string) {
      const u = new URL(target);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut(ms: number) {
      // Connections attempted before the deadline are refused; nothing to undo when it passes.
      refusingUntil = Date.now() + ms;
      resetAll();
    },
    partition() {
      partitioned = true;
      resetAll();
    },
    heal() {
      partitioned = false;
      refusingUntil = 0;
    },
    killConnections: resetAll,
    latency(ms: number) {
      delayMs = ms;
    },
    get open() {
      return sockets.size / 2;
    },
    async close() {
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
