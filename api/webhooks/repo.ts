/**
 * Webhooks in Postgres: endpoints (`webhooks`) and the delivery log that is
 * also the durable delivery queue (`webhook_deliveries`): a pending row is
 * owed, claimed for a while by one worker (claimed_until, SKIP LOCKED) and
 * retried with backoff until delivered or 24 h old. Every webhook statement.
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/connect.ts';
import type { Runner } from '../audit/repo.ts';
import type { List } from '../contract.ts';

export interface WebhookRow {
  id: string;
  userId: string;
  url: string;
  events: string[];
  description: string;
  createdAt: Date;
}

export interface DeliveryRow {
  id: string;
  event: 'alert.created' | 'ping';
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  responseStatus: number | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** A claimed delivery with what the worker needs to send it. */
export interface DueDelivery {
  id: string;
  url: string;
  secret: string;
  payload: string;
  attempts: number;
  createdAt: Date;
}

const HOOK_COLUMNS = 'id, user_id as "userId", url, events, description, created_at as "createdAt"';

export async function insertWebhook(
  run: Runner,
  w: { userId: string; url: string; events: string[]; description: string; secret: string },
): Promise<WebhookRow> {
  const rows = await run<WebhookRow[]>`insert into webhooks (id, user_id, url, events, description, secret)
    values (${randomUUID()}, ${w.userId}, ${w.url}, ${w.events}, ${w.description}, ${w.secret})
    returning ${run.unsafe(HOOK_COLUMNS)}`;
  return rows[0]!;
}

/** A page of the user's endpoints, newest first, optionally those whose URL or description holds `q`. */
export async function listWebhooks(
  sql: Sql,
  userId: string,
  page: { limit: number; offset: number; q?: string | undefined },
): Promise<List<WebhookRow>> {
  const pattern = page.q ? `%${page.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
  const where = sql`where user_id = ${userId}
    and (${pattern}::text is null or url ilike ${pattern} or description ilike ${pattern})`;
  const [items, count] = await Promise.all([
    sql<WebhookRow[]>`select ${sql.unsafe(HOOK_COLUMNS)} from webhooks ${where}
      order by created_at desc, id limit ${page.limit} offset ${page.offset}`,
    sql<{ n: number }[]>`select count(*)::int as n from webhooks ${where}`,
  ]);
  return { items, total: count[0]?.n ?? 0 };
}

/** The user's endpoint; null when none (another user's is "none" too). */
export async function findWebhook(sql: Sql, id: string, userId: string): Promise<WebhookRow | null> {
  const rows = await sql<WebhookRow[]>`select ${sql.unsafe(HOOK_COLUMNS)} from webhooks
    where id = ${id} and user_id = ${userId}`;
  return rows[0] ?? null;
}

/** Deletes the user's endpoint and its log; false when there is none. */
export async function deleteWebhook(run: Runner, id: string, userId: string): Promise<boolean> {
  const rows = await run`delete from webhooks where id = ${id} and user_id = ${userId} returning id`;
  return rows.length > 0;
}

/** Queues one delivery (a ping) to the endpoint; returns its id (the webhook-id). */
export async function insertDelivery(
  sql: Sql,
  d: { id: string; webhookId: string; event: 'ping' | 'alert.created'; payload: string },
): Promise<void> {
  await sql`insert into webhook_deliveries (id, webhook_id, event, payload)
    values (${d.id}, ${d.webhookId}, ${d.event}, ${d.payload})`;
}

/** A page of the endpoint's delivery log, newest first. */
export async function listDeliveries(
  sql: Sql,
  webhookId: string,
  page: { limit: number; offset: number },
): Promise<List<DeliveryRow>> {
  const [items, count] = await Promise.all([
    sql<DeliveryRow[]>`select id, event, status, attempts, response_status as "responseStatus",
        created_at as "createdAt", delivered_at as "deliveredAt"
      from webhook_deliveries where webhook_id = ${webhookId}
      order by created_at desc, id limit ${page.limit} offset ${page.offset}`,
    sql<{ n: number }[]>`select count(*)::int as n from webhook_deliveries where webhook_id = ${webhookId}`,
  ]);
  return { items, total: count[0]?.n ?? 0 };
}

/**
 * Claims up to `limit` due deliveries for `claimMs` (a worker that dies holding
 * them lets the claim lapse and another takes them: at least once).
 */
export async function claimDueDeliveries(sql: Sql, limit: number, claimMs: number): Promise<DueDelivery[]> {
  return sql<DueDelivery[]>`
    with due as (
      select id from webhook_deliveries
      where status = 'pending' and next_attempt_at <= now() and (claimed_until is null or claimed_until < now())
      order by next_attempt_at limit ${limit} for update skip locked
    ), claimed as (
      update webhook_deliveries d set claimed_until = now() + ${claimMs} * interval '1 millisecond'
      from due where d.id = due.id
      returning d.id, d.webhook_id, d.payload, d.attempts, d.created_at
    )
    select c.id, w.url, w.secret, c.payload, c.attempts, c.created_at as "createdAt"
    from claimed c join webhooks w on w.id = c.webhook_id`;
}

/** Records an attempt's result: delivered, failed for good, or due again at `retryAt`. */
export async function recordAttempt(
  sql: Sql,
  id: string,
  r: {
    status: 'delivered' | 'failed' | 'pending';
    responseStatus: number | null;
    error: string | null;
    retryInMs?: number;
  },
): Promise<void> {
  await sql`update webhook_deliveries set
      status = ${r.status},
      attempts = attempts + 1,
      response_status = ${r.responseStatus},
      last_error = ${r.error},
      delivered_at = case when ${r.status} = 'delivered' then now() else delivered_at end,
      next_attempt_at = now() + ${r.retryInMs ?? 0} * interval '1 millisecond',
      claimed_until = null
    where id = ${id}`;
}
