/**
 * The webhook delivery worker: claims due rows of `webhook_deliveries` (the
 * durable queue: a row exists for every owed delivery before anything is
 * sent, so a crash loses nothing) and sends them, several at once. Any 2xx is
 * delivered; anything else is retried with exponential backoff (5 s doubling,
 * at most 1 h apart) until the delivery is 24 h old, then `failed`; a target
 * the SSRF guard refuses fails at once. Every node may run one: claims are
 * exclusive (SKIP LOCKED) and lapse when their holder dies.
 */
import type { Logger } from 'pino';
import type { Sql } from '../../db/connect.ts';
import { Poller } from '../notify/poller.ts';
import { backoffMs, RETRY_FOR_MS } from '../notify/retry.ts';
import { claimDueDeliveries, type DueDelivery, recordAttempt } from './repo.ts';
import { sendWebhook } from './send.ts';
import { signedHeaders } from './signature.ts';

export interface WebhookWorkerOptions {
  sql: Sql;
  log: Logger;
  allowPrivate: boolean;
  /** How often due rows are looked for when nothing woke the worker (default 1000 ms). */
  pollMs?: number;
  /** Attempts in flight at once (default 8). */
  concurrency?: number;
  timeoutMs?: number;
  now?: () => number;
}

export class WebhookWorker {
  readonly #o: WebhookWorkerOptions;
  readonly #loop: Poller;

  constructor(options: WebhookWorkerOptions) {
    this.#o = options;
    this.#loop = new Poller(() => this.#drain(), options.pollMs ?? 1000, options.log, 'webhooks: delivery');
  }

  start(): void {
    this.#loop.start();
  }

  /** Looks for due deliveries now (after a fan-out or a test ping). */
  wake(): void {
    this.#loop.wake();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** One pass: claims and sends until nothing is due. */
  async #drain(): Promise<void> {
    const concurrency = this.#o.concurrency ?? 8;
    const claimMs = (this.#o.timeoutMs ?? 10_000) * 3;
    for (;;) {
      const due = await claimDueDeliveries(this.#o.sql, concurrency, claimMs);
      if (due.length === 0) return;
      await Promise.all(due.map((d) => this.#attempt(d)));
      if (this.#loop.stopped) return;
    }
  }

  async #attempt(d: DueDelivery): Promise<void> {
    const now = this.#o.now?.() ?? Date.now();
    const headers = signedHeaders(d.secret, d.id, d.payload, new Date(now));
    const out = await sendWebhook(d.url, headers, d.payload, {
      allowPrivate: this.#o.allowPrivate,
      ...(this.#o.timeoutMs ? { timeoutMs: this.#o.timeoutMs } : {}),
    });
    if (out.kind === 'delivered') {
      await recordAttempt(this.#o.sql, d.id, {
        status: 'delivered',
        responseStatus: out.status,
        error: null,
      });
      return;
    }
    const wait = backoffMs(d.attempts + 1);
    const expired = out.kind === 'forbidden' || now + wait > d.createdAt.getTime() + RETRY_FOR_MS;
    this.#o.log.info({ deliveryId: d.id, error: out.error, expired }, 'webhooks: attempt failed');
    await recordAttempt(this.#o.sql, d.id, {
      status: expired ? 'failed' : 'pending',
      responseStatus: out.kind === 'retry' ? out.status : null,
      error: out.error,
      retryInMs: wait,
    });
  }
}
