/**
 * Where readings go. `ReadingSink` is the seam between the simulator's
 * scheduling and its transport: `HttpSink` posts to `/api/readings`; a queue
 * sink (`--redis`) can be added beside it without touching the rest.
 */
import type { RetryPolicy } from './backoff.ts';
import type { Random } from './prng.ts';

/** One reading on the wire, in the shape of `POST /api/readings`. */
export interface Reading {
  deviceId: string;
  /** ISO 8601 with an offset. */
  timestamp: string;
  /** kWh: interval energy or register value, per the device's meter kind. */
  value: number;
}

export interface SinkAck {
  /** How many readings the receiver acknowledged (the server's `accepted`). */
  accepted: number;
}

export interface ReadingSink {
  /**
   * Delivers one batch. Resolves once the receiver has it durably, retrying
   * transient failures itself (resending is safe: readings are deduplicated by
   * (deviceId, timestamp)). Rejects with `SinkRejectedError` when the receiver
   * refuses the batch for good, or with an `AbortError` when `signal` aborts
   * while it is waiting to retry.
   */
  send(readings: readonly Reading[], signal?: AbortSignal): Promise<SinkAck>;
  close?(): Promise<void>;
}

/** One item of the server's error `details`. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** The receiver refused a batch (4xx other than 408/429): resending would not help. */
export class SinkRejectedError extends Error {
  override name = 'SinkRejectedError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

/** Why an attempt failed and when it will be tried again. */
export interface RetryEvent {
  attempt: number;
  delayMs: number;
  /** e.g. `503 unavailable` or `network: fetch failed`. */
  reason: string;
}

/** How a sink retries: what every transport's options share. */
export interface SinkRetryOptions {
  /** Default: the most generous of 250 ms doubling, 10 s ceiling, endless attempts. */
  retry?: Partial<RetryPolicy>;
  /** Called before each retry: progress output counts them. */
  onRetry?: (event: RetryEvent) => void;
  random?: Random;
}
