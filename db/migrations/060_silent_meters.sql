-- Silent meters (issue 15): a device with `silent_after_minutes` gets one
-- `silent` alert when no reading arrived for that long, raised by the runtime
-- node that owns its shard.
--
-- silent_since: when the device's current silence began — the commit of its
-- latest reading, or, before it ever sent one, when a silence limit was first
-- put in force. silent_due_at: when that silence becomes an alert (null: no
-- limit, or already alerted). Both are written in the fenced shard
-- transactions only, so they follow the configuration in shard order. The
-- partial index keeps the per-shard sweep a range scan over due devices only:
-- no actor needs to be resident for its device to be watched.
alter table devices
  add column silent_after_minutes integer check (silent_after_minutes between 5 and 10080),
  add column silent_since timestamptz,
  add column silent_due_at timestamptz;
create index devices_silent_due_idx on devices (silent_due_at) where silent_due_at is not null;

-- A silent alert is one per silence, not one per hour: it is keyed by the
-- silence's start, so a sweep repeated by the same or a new lease holder
-- (failover) finds it stored and adds nothing. exceeded/projected stay one
-- per device, hour and kind.
alter table alerts add column silent_since timestamptz;
alter table alerts drop constraint alerts_kind_check;
alter table alerts add constraint alerts_kind_check check (kind in ('exceeded', 'projected', 'silent'));
alter table alerts add constraint alerts_silent_since_check check ((kind = 'silent') = (silent_since is not null));
alter table alerts drop constraint alerts_device_id_hour_start_kind_key;
create unique index alerts_device_hour_kind_idx on alerts (device_id, hour_start, kind) where kind <> 'silent';
create unique index alerts_device_silence_idx on alerts (device_id, silent_since) where kind = 'silent';

-- A device created with a silence limit is watched from its creation on, even
-- if it never sends a reading (the api's insert does not need to know).
create function devices_silence_on_insert() returns trigger language plpgsql as $$
begin
  if new.silent_after_minutes is not null then
    new.silent_since := coalesce(new.silent_since, date_trunc('milliseconds', now()));
    new.silent_due_at := new.silent_since + new.silent_after_minutes * interval '1 minute';
  end if;
  return new;
end $$;
create trigger devices_silence_on_insert before insert on devices
  for each row execute function devices_silence_on_insert();
