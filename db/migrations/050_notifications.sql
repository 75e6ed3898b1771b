-- Notifications (issue 15): signed webhooks and alert e-mails, fed from the
-- alert outbox (invariant 3: every stored alert is pushed at least once).
--
-- The outbox gets a second cursor, notified_at, independent of published_at
-- (the socket push): a node claims unnotified rows with FOR UPDATE SKIP
-- LOCKED and, in the same transaction, writes one webhook_deliveries row per
-- matching endpoint and one email_notices row per opted-in user, then sets
-- notified_at. A crash before COMMIT leaves the outbox row unnotified (taken
-- again); after COMMIT the delivery rows are durable and retried until done.
alter table users add column notify_by_email boolean not null default false;

alter table alert_outbox add column notified_at timestamptz;
-- Alerts stored before this migration were never promised to webhooks or mail.
update alert_outbox set notified_at = coalesce(published_at, now());
create index alert_outbox_notify_idx on alert_outbox (created_at) where notified_at is null;

create table webhooks (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  url text not null,
  events text[] not null,
  description text not null default '',
  -- whsec_<base64>: the receiver needs the same bytes to verify, so it is kept as issued.
  secret text not null,
  created_at timestamptz not null default now()
);
create index webhooks_user_idx on webhooks (user_id, created_at desc);

-- One row per (event, endpoint). id is the webhook-id header: the same on every
-- retry. payload is the body exactly as signed and sent each time.
create table webhook_deliveries (
  id uuid primary key,
  webhook_id uuid not null references webhooks (id) on delete cascade,
  event text not null check (event in ('alert.created', 'ping')),
  alert_id uuid,
  payload text not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts int not null default 0,
  response_status int,
  last_error text,
  next_attempt_at timestamptz not null default now(),
  claimed_until timestamptz,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  unique (webhook_id, alert_id)
);
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_hook_idx on webhook_deliveries (webhook_id, created_at desc, id);

-- At most one alert e-mail per user, device and hour: the primary key is the
-- limit, so two nodes fanning out two alerts of one hour insert one row.
create table email_notices (
  user_id uuid not null references users (id) on delete cascade,
  device_id uuid not null references devices (id) on delete cascade,
  hour timestamptz not null,
  alert_id uuid not null,
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  attempts int not null default 0,
  last_error text,
  next_attempt_at timestamptz not null default now(),
  claimed_until timestamptz,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  primary key (user_id, device_id, hour)
);
create index email_notices_due_idx on email_notices (next_attempt_at) where status = 'pending';
