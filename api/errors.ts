/**
 * The one error type of the api and its serialisation. Handlers throw an
 * `ApiError`; `onError` (app.ts) turns it — or a Hono HTTPException, a zod
 * error, or anything unexpected — into the error body of docs/API.md. Unexpected
 * errors become `internal` with a generic message: no stack, no SQL.
 */

import type { z } from 'zod';
import { DependencyTimeout } from '../core/deadline.ts';
import { SOCKET_ERROR_CODES } from '../runtime/socket-errors.ts';

export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unprocessable'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal';

export const statusOf: Record<ErrorCode, 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  too_many_requests: 429,
  unavailable: 503,
  internal: 500,
};

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetail[], headers?: Record<string, string>) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get status() {
    return statusOf[this.code];
  }

  toBody() {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details && this.details.length > 0 ? { details: this.details } : {}),
      },
    };
  }
}

/** zod issues → `details` with dotted paths such as `readings.3.value`. */
export function detailsFromZod(error: z.ZodError): ErrorDetail[] {
  return error.issues.slice(0, 50).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

export function invalid(error: z.ZodError, what = 'request'): ApiError {
  const details = detailsFromZod(error);
  const first = details[0];
  const where = first?.path ? ` at ${first.path}` : '';
  return new ApiError(
    'invalid_request',
    `Invalid ${what}${where}: ${first?.message ?? 'bad input'}`,
    details,
  );
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);

/** Node socket errors of a lost or refused connection (Postgres or Redis). */
const CONNECTION_CODES = new Set<string>([
  ...SOCKET_ERROR_CODES,
  // postgres.js
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
]);

/**
 * True when `err` says a dependency (Postgres, Redis) is unreachable or
 * restarting rather than that the request is wrong: socket errors, SQLSTATE
 * class 08 (connection exception), 57P01–57P03 (shutdown, cannot connect
 * now), 53300 (too many connections), ioredis timeouts, and `DependencyTimeout`.
 * Such a failure is answered 503 `unavailable` (API.md), never 500.
 */
export function isDependencyOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof DependencyTimeout) return true;
  const code = String((err as { code?: unknown }).code ?? '');
  if (CONNECTION_CODES.has(code)) return true;
  if (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
  return /Connection is closed|Command timed out|MaxRetriesPerRequest|Stream isn't writeable/.test(
    err.message,
  );
}

/** The 503 for an unreachable dependency. */
export const unavailable = (message = 'A dependency is not answering; retry shortly') =>
  new ApiError('unavailable', message, undefined, { 'retry-after': '2' });

export { DependencyTimeout, withDeadline } from '../core/deadline.ts';
