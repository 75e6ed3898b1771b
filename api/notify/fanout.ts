/**
 * The notification fan-out: reads the alert outbox (the same rows the socket
 * push uses, by its own cursor `notified_at`) and turns each alert into
 * durable work, in ONE transaction: a `webhook_deliveries` row per endpoint
 * that should hear of it (its owner's endpoints and every admin's) and, with
 * e-mail configured, an `email_notices` row per opted-in user for `exceeded`
 * and `silent` alerts (the row's key is the per-device-hour limit). Then the
 * outbox row is marked. A crash before COMMIT leaves it to the next pass (any
 * node: SKIP LOCKED); after COMMIT the rows are the queue (invariant 3: at
 * least once).
 */
import type { Sql } from '../../db/connect.ts';
import { ALERT_SELECT, type AlertRow, toAlert } from '../alerts/repo.ts';

export interface FanoutResult {
  alerts: number;
  deliveries: number;
  emails: number;
}

/** Fans out up to `limit` unnotified outbox entries; returns what was created. */
export async function fanOutAlerts(sql: Sql, opts: { mail: boolean; limit?: number }): Promise<FanoutResult> {
  return sql.begin(async (tx) => {
    const ids = (
      await tx<{ id: string }[]>`select alert_id as id from alert_outbox where notified_at is null
        order by created_at limit ${opts.limit ?? 100} for update skip locked`
    ).map((r) => r.id);
    const result: FanoutResult = { alerts: ids.length, deliveries: 0, emails: 0 };
    if (ids.length === 0) return result;
    const alerts = await tx<AlertRow[]>`${tx.unsafe(ALERT_SELECT)} where a.id = any(${ids}::uuid[])
      order by a.created_at, a.id`;
    for (const row of alerts) {
      const alert = toAlert(row);
      const payload = JSON.stringify({ type: 'alert.created', timestamp: alert.createdAt, data: alert });
      const hooks =
        await tx`insert into webhook_deliveries (id, webhook_id, event, alert_id, payload, created_at)
        select gen_random_uuid(), w.id, 'alert.created', ${row.id}, ${payload}, now()
        from webhooks w join users u on u.id = w.user_id
        where 'alert' = any(w.events) and (u.role = 'admin' or u.id = ${row.ownerId})
        on conflict (webhook_id, alert_id) do nothing returning id`;
      result.deliveries += hooks.length;
      if (opts.mail && (row.kind as string) !== 'projected') {
        const mails = await tx`insert into email_notices (user_id, device_id, hour, alert_id)
          select u.id, ${row.deviceId}, date_trunc('hour', ${row.createdAt}::timestamptz, 'UTC'), ${row.id}
          from users u
          where u.notify_by_email and u.email is not null and (u.role = 'admin' or u.id = ${row.ownerId})
          on conflict do nothing returning user_id`;
        result.emails += mails.length;
      }
    }
    await tx`update alert_outbox set notified_at = now() where alert_id = any(${ids}::uuid[])`;
    return result;
  });
}
