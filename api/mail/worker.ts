/**
 * The alert e-mail sender: claims due `email_notices` rows (written by the
 * fan-out, one per user, device and hour: the rate limit is the row's key) and
 * sends each over EMS_SMTP_URL with nodemailer. A failed send is retried with
 * backoff for 24 h, then `failed`. Claims are exclusive and lapse when their
 * node dies, so every notice is sent at least once.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Sql } from '../../db/connect.ts';
import { ALERT_SELECT, type AlertRow, toAlert } from '../alerts/repo.ts';
import { Poller } from '../notify/poller.ts';
import { backoffMs, RETRY_FOR_MS } from '../notify/retry.ts';
import { alertMail } from './message.ts';

export interface MailWorkerOptions {
  sql: Sql;
  log: Logger;
  smtpUrl: string;
  from: string;
  /** Where the UI is reached, for the device link. */
  publicUrl: string;
  pollMs?: number;
}

interface DueNotice {
  userId: string;
  deviceId: string;
  hour: Date;
  alertId: string;
  email: string | null;
  notifyByEmail: boolean;
  attempts: number;
  createdAt: Date;
}

export class MailWorker {
  readonly #o: MailWorkerOptions;
  readonly #transport: Transporter;
  readonly #loop: Poller;

  constructor(options: MailWorkerOptions) {
    this.#o = options;
    // Bounded waits: a claim lasts 2 minutes, so one send must end well within it.
    this.#transport = nodemailer.createTransport({
      url: options.smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    this.#loop = new Poller(() => this.#drain(), options.pollMs ?? 2000, options.log, 'mail');
  }

  start(): void {
    this.#loop.start();
  }

  wake(): void {
    this.#loop.wake();
  }

  async #drain(): Promise<void> {
    const { sql } = this.#o;
    for (;;) {
      const due = await sql<DueNotice[]>`
        with due as (
          select user_id, device_id, hour from email_notices
          where status = 'pending' and next_attempt_at <= now() and (claimed_until is null or claimed_until < now())
          order by next_attempt_at limit 10 for update skip locked
        ), claimed as (
          update email_notices n set claimed_until = now() + interval '2 minutes'
          from due where (n.user_id, n.device_id, n.hour) = (due.user_id, due.device_id, due.hour)
          returning n.*
        )
        select c.user_id as "userId", c.device_id as "deviceId", c.hour, c.alert_id as "alertId",
          u.email, u.notify_by_email as "notifyByEmail", c.attempts, c.created_at as "createdAt"
        from claimed c join users u on u.id = c.user_id`;
      if (due.length === 0) return;
      for (const n of due) await this.#send(n);
      if (this.#loop.stopped) return;
    }
  }

  async #send(n: DueNotice): Promise<void> {
    const { sql } = this.#o;
    const key = sql`user_id = ${n.userId} and device_id = ${n.deviceId} and hour = ${n.hour}`;
    const [row] = await sql<AlertRow[]>`${sql.unsafe(ALERT_SELECT)} where a.id = ${n.alertId}`;
    if (!row || !n.email || !n.notifyByEmail) {
      // The alert (its device) or the address is gone, or the user opted out since: nothing to tell.
      await sql`update email_notices set status = 'failed', last_error = 'alert, address or opt-in gone',
        claimed_until = null where ${key}`;
      return;
    }
    const msg = alertMail(toAlert(row), this.#o.publicUrl);
    try {
      await this.#transport.sendMail({ from: this.#o.from, to: n.email, ...msg });
      await sql`update email_notices set status = 'sent', sent_at = now(), attempts = attempts + 1, claimed_until = null where ${key}`;
    } catch (err) {
      const wait = backoffMs(n.attempts + 1);
      const expired = Date.now() + wait > n.createdAt.getTime() + RETRY_FOR_MS;
      this.#o.log.warn({ err, userId: n.userId, deviceId: n.deviceId }, 'mail: send failed');
      await sql`update email_notices set status = ${expired ? 'failed' : 'pending'}, attempts = attempts + 1,
          last_error = ${(err as Error).message}, next_attempt_at = now() + ${wait} * interval '1 millisecond',
          claimed_until = null
        where ${key}`;
    }
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
    this.#transport.close();
  }
}
