-- Alerts are pushed at least once (invariant 3). Every alert gets an outbox
-- row in the transaction that stores it; the node that stored it pushes it
-- after COMMIT and sets published_at. A sweeper on every runtime node claims
-- rows left unpublished (their node died) for a short while (claimed_until)
-- and pushes them again with the same alert id; receivers deduplicate by id.
-- Webhooks and e-mail read the same outbox.
create table alert_outbox (
  alert_id uuid primary key references alerts (id) on delete cascade,
  created_at timestamptz not null default now(),
  claimed_until timestamptz,
  published_at timestamptz
);
create index alert_outbox_pending_idx on alert_outbox (created_at) where published_at is null;
