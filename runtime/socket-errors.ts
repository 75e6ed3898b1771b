/**
 * The Node socket error codes of a lost or refused TCP connection, whatever
 * is on the other end. One list for every place that must tell "the
 * dependency is unreachable" from "the request or the code is wrong": the
 * Redis connection watch (runtime/redis/connection-watch.ts) and the API's
 * 503 mapping (api/errors.ts), which each add the codes of their own client.
 */
export const SOCKET_ERROR_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
] as const;
