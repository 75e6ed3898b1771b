/**
 * Turns an ioredis connection's events into two plain facts an operator can
 * act on: the connection was lost, and it came back (after how long). The
 * per-attempt ECONNREFUSED/ECONNRESET errors of a reconnect loop say the
 * same thing many times a second; `isConnectionError` lets callers drop
 * those from their error reports because these two events cover them.
 */

import type { Redis } from 'ioredis';
import { SOCKET_ERROR_CODES } from '../socket-errors.ts';
import { isCluster, type RedisClient } from './connect.ts';

export interface ConnectionChange {
  /** Which of the drivers' connections ('commands' or 'workers'). */
  connection: string;
  state: 'lost' | 'restored';
  /** For 'restored': how long it was down. */
  downMs?: number;
}

export function watchConnection(
  redis: RedisClient,
  connection: string,
  report: (change: ConnectionChange) => void,
): void {
  let lostAt: number | null = null;
  const lost = () => {
    if (lostAt !== null) return;
    lostAt = performance.now();
    report({ connection, state: 'lost' });
  };
  // 'reconnecting', not 'close': a deliberate quit() closes too, and is not an outage.
  redis.on('reconnecting', lost);
  redis.on('ready', () => {
    if (lostAt === null) return;
    const downMs = Math.round(performance.now() - lostAt);
    lostAt = null;
    report({ connection, state: 'restored', downMs });
  });
  if (isCluster(redis)) watchClusterNodes(redis, connection, report);
}

/**
 * A Redis Cluster stays `ready` while one master is away (only that master's
 * shards fail), so the loss of each node is reported on its own, as
 * `<connection> <host>:<port>`; ioredis drops a dead node's connection and
 * adds a new one when it answers again.
 */
function watchClusterNodes(
  cluster: RedisClient,
  connection: string,
  report: (change: ConnectionChange) => void,
): void {
  const lostAt = new Map<string, number>();
  const nameOf = (node: Redis) => `${connection} ${node.options.host}:${node.options.port}`;
  cluster.on('-node', (node: Redis) => {
    // A quit removes every node: not an outage. Neither is a node lost with the whole cluster.
    if (cluster.status !== 'ready') return;
    const name = nameOf(node);
    if (lostAt.has(name)) return;
    lostAt.set(name, performance.now());
    report({ connection: name, state: 'lost' });
  });
  cluster.on('+node', (node: Redis) => {
    const name = nameOf(node);
    const at = lostAt.get(name);
    if (at === undefined) return;
    node.once('ready', () => {
      if (lostAt.get(name) !== at) return;
      lostAt.delete(name);
      report({ connection: name, state: 'restored', downMs: Math.round(performance.now() - at) });
    });
  });
}

const CONNECTION_CODES = new Set<string>([...SOCKET_ERROR_CODES, 'ENOTCONN']);

/** True for the errors a lost or reconnecting Redis connection produces. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  if (code && CONNECTION_CODES.has(code)) return true;
  return /Connection is closed|Command timed out|MaxRetriesPerRequest|Stream isn't writeable|connect ETIMEDOUT/i.test(
    `${error.name} ${error.message}`,
  );
}
