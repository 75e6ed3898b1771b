/**
 * What the fault tests' TCP relays (tcp-proxy.ts, tcp-balancer.ts) share: a
 * loopback listener, and a client's connection tied to its upstream so that
 * either side ending ends both.
 */
import type net from 'node:net';

/** Starts `server` on a free loopback port; resolves to the port. */
export async function listenOnLoopback(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/**
 * Keeps `client` and `upstream` in `open` until either errors or closes; then both
 * are ended and forgotten. `reset` ends them with an RST (a connection that broke),
 * `destroy` closes them.
 */
export function tie(
  open: Set<net.Socket>,
  client: net.Socket,
  upstream: net.Socket,
  end: 'reset' | 'destroy',
): void {
  open.add(client);
  open.add(upstream);
  const finish = (socket: net.Socket) => {
    if (socket.destroyed) return;
    if (end === 'reset') socket.resetAndDestroy();
    else socket.destroy();
  };
  const drop = () => {
    open.delete(client);
    open.delete(upstream);
    finish(client);
    finish(upstream);
  };
  for (const socket of [client, upstream]) {
    socket.on('error', drop);
    socket.on('close', drop);
  }
}
