/**
 * Keeps a long-running process up when a connection error reaches no one.
 *
 * Under a database restart (every pooled connection reset at once), postgres.js
 * 3.4.9 now and then rejects a promise that nothing awaits with the raw socket
 * error — `read ECONNRESET`, no stack beyond the socket (the same report:
 * porsager/postgres#600, unlocated upstream). Node's default for an unhandled
 * rejection is to exit, so a runtime node died from an outage it otherwise
 * rides out (invariant 8; seen once in a CI run of cli/faults.test.ts "every
 * pooled Postgres connection killed"). The queries that matter do see the
 * error (the job fails and is retried, the request is answered 503), so the
 * stray copy is logged and the process carries on.
 *
 * Only connection-level errors are kept: any other unhandled rejection is
 * still fatal, as it is without this handler.
 */
import type { Logger } from './logger.ts';

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
  // postgres.js's own names for a connection that went away
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
]);

/** Whether `reason` is a connection's failure rather than a bug. */
export function isStrayConnectionError(reason: unknown): boolean {
  const code = (reason as { code?: unknown } | null)?.code;
  return reason instanceof Error && typeof code === 'string' && CONNECTION_CODES.has(code);
}

/** Installs the handler on `proc` (the process); a rejection it does not keep is thrown again, as Node would. */
export function keepUpOnStrayConnectionErrors(
  log: Pick<Logger, 'error'>,
  proc: NodeJS.Process = process,
): void {
  proc.on('unhandledRejection', (reason) => {
    if (!isStrayConnectionError(reason)) throw reason;
    log.error({ err: reason }, 'a connection error reached no caller; the process carries on');
  });
}
