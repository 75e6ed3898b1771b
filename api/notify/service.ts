/**
 * Notifications on one api node: the outbox fan-out (api/notify/fanout.ts),
 * the webhook delivery worker and, with EMS_SMTP_URL, the e-mail sender. Every
 * node may run one; they share the work through Postgres claims, so a node that
 * dies leaves nothing undelivered (its claims lapse).
 */
import type { Logger } from 'pino';
import type { Sql } from '../../db/connect.ts';
import { MailWorker } from '../mail/worker.ts';
import { WebhookWorker } from '../webhooks/worker.ts';
import { fanOutAlerts } from './fanout.ts';

export interface NotifierOptions {
  sql: Sql;
  log: Logger;
  allowPrivate: boolean;
  smtp?: { url: string; from: string; publicUrl: string } | undefined;
  /** How often the outbox is read (default 1000 ms). */
  pollMs?: number;
  /** Webhook attempt timeout (default 10 s; tests shorten it). */
  webhookTimeoutMs?: number;
}

export class Notifier {
  readonly webhooks: WebhookWorker;
  readonly mail: MailWorker | undefined;
  readonly #o: NotifierOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(options: NotifierOptions) {
    this.#o = options;
    this.webhooks = new WebhookWorker({
      sql: options.sql,
      log: options.log,
      allowPrivate: options.allowPrivate,
      ...(options.webhookTimeoutMs ? { timeoutMs: options.webhookTimeoutMs } : {}),
    });
    this.mail = options.smtp
      ? new MailWorker({
          sql: options.sql,
          log: options.log,
          smtpUrl: options.smtp.url,
          from: options.smtp.from,
          publicUrl: options.smtp.publicUrl,
        })
      : undefined;
  }

  start(): void {
    this.#stopped = false;
    this.webhooks.start();
    this.mail?.start();
    this.#tick();
  }

  /** One fan-out pass until the outbox is empty; resolves when done (tests await it). */
  async fanOut(): Promise<void> {
    for (;;) {
      const r = await fanOutAlerts(this.#o.sql, { mail: this.mail !== undefined });
      if (r.deliveries > 0) this.webhooks.wake();
      if (r.emails > 0) this.mail?.wake();
      if (r.alerts === 0 || this.#stopped) return;
    }
  }

  #tick(): void {
    this.#running = this.fanOut()
      .catch((err) => this.#o.log.warn({ err }, 'notify: outbox fan-out failed'))
      .finally(() => {
        this.#running = undefined;
        if (!this.#stopped) this.#timer = setTimeout(() => this.#tick(), this.#o.pollMs ?? 1000);
      });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.webhooks.stop();
    await this.mail?.stop();
  }
}
