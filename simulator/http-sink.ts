/**
 * `HttpSink`: delivers batches with `POST /api/readings`. Transient failures
 * (429, 5xx, 408, timeouts, dropped connections) are retried with backoff
 * until the batch is accepted; the server deduplicates by (deviceId,
 * timestamp), so a batch whose answer was lost can be resent safely. Any other
 * 4xx is final and surfaces the server's error message and details.
 */
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isAbortError,
  parseRetryAfter,
  type RetryPolicy,
  sleep,
} from './backoff.ts';
import type { ErrorDetail, Reading, ReadingSink, SinkAck, SinkRetryOptions } from './sink.ts';
import { SinkRejectedError } from './sink.ts';

export interface HttpSinkOptions extends SinkRetryOptions {
  /** Base URL of the EMS api, e.g. http://localhost:8080. */
  url: string;
  /** Admin JWT, personal access token or device ingest token. */
  token: string;
  /** A request with no answer after this long counts as failed and is retried. Default 30 s. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

type Attempt = { ok: true; ack: SinkAck } | { ok: false; reason: string; retryAfterMs?: number };

export class HttpSink implements ReadingSink {
  private readonly endpoint: string;
  private readonly policy: RetryPolicy;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HttpSinkOptions) {
    this.endpoint = new URL('/api/readings', options.url).toString();
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async send(readings: readonly Reading[], signal?: AbortSignal): Promise<SinkAck> {
    const body = JSON.stringify({ readings });
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(body, readings.length);
      if (result.ok) return result.ack;
      if (attempt >= this.policy.maxAttempts) {
        throw new Error(`gave up after ${attempt} attempts (last: ${result.reason})`);
      }
      const delayMs = backoffDelay(attempt, this.policy, this.options.random, result.retryAfterMs);
      this.options.onRetry?.({ attempt, delayMs, reason: result.reason });
      await sleep(delayMs, signal);
    }
  }

  /** One POST. Never lets a transient failure escape as an exception. */
  private async attempt(body: string, count: number): Promise<Attempt> {
    let response: Response;
    try {
      response = await this.fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` },
        body,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
      });
    } catch (error) {
      return { ok: false, reason: `network: ${describe(error)}` };
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      // The answer was cut off: the batch may or may not be stored; resending is safe.
      return { ok: false, reason: `network: ${describe(error)}` };
    }
    if (response.ok) {
      const accepted = parseJson(text)?.accepted;
      return { ok: true, ack: { accepted: typeof accepted === 'number' ? accepted : count } };
    }
    const error = parseError(text);
    const reason = `${response.status} ${error.code}`;
    if (isTransient(response.status)) {
      return { ok: false, reason, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
    }
    throw new SinkRejectedError(response.status, error.code, error.message, error.details);
  }
}

export function isTransient(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function describe(error: unknown): string {
  if (isAbortError(error) || (error instanceof Error && error.name === 'TimeoutError'))
    return 'request timed out';
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const detail = cause instanceof Error ? ` (${cause.message})` : '';
    return `${error.message}${detail}`;
  }
  return String(error);
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The docs/API.md error body, or a stand-in when a proxy answered with something else. */
export function parseError(text: string): { code: string; message: string; details: ErrorDetail[] } {
  const error = parseJson(text)?.error as
    | { code?: unknown; message?: unknown; details?: unknown }
    | undefined;
  const details = Array.isArray(error?.details)
    ? error.details.filter(
        (d): d is ErrorDetail => typeof d?.path === 'string' && typeof d?.message === 'string',
      )
    : [];
  return {
    code: typeof error?.code === 'string' ? error.code : 'http_error',
    message:
      typeof error?.message === 'string' ? error.message : text.trim().slice(0, 200) || 'no error message',
    details,
  };
}
