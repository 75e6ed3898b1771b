-- A year of history (issue 14): raw `readings` partitioned by UTC month, so a
-- retention period (EMS_RAW_RETENTION_DAYS) drops whole months at once instead
-- of deleting row by row, while `hourly` (and alerts) stay for ever.
--
-- Partitions are named readings_YYYY_MM and cover [month start, next month
-- start) in UTC. ems_ensure_readings_partitions(from, to) creates the months of
-- [from, to] that are missing: this migration for the months of the stored
-- readings and up to two months ahead, and every runtime node on start and
-- hourly (db/readings-partitions.ts) for the months ahead. A reading no
-- monthly partition covers (a late reading years old) lands in
-- readings_default, never in an error; the same job gives each month found
-- there its own partition, moving its rows (a partition can only be created
-- once no row of the default partition falls in its range).
--
-- The primary key (device_id, ts) includes the partition key, so it stays the
-- dedupe key of invariant 2 across all partitions (`on conflict do nothing`).
alter table readings rename to readings_unpartitioned;
alter index readings_pkey rename to readings_unpartitioned_pkey;

create table readings (
  device_id uuid not null references devices (id) on delete cascade,
  ts timestamptz not null,
  value double precision not null,
  kwh numeric not null,
  cost numeric,
  primary key (device_id, ts)
) partition by range (ts);
create table readings_default partition of readings default;

-- Raw readings before `horizon` may be gone (dropped by retention): the hourly
-- rows before it are the only record of that energy, so a zone change keeps
-- them (db/device-store.ts, rebucket). Null: nothing was ever dropped.
create table raw_horizon (
  singleton boolean primary key default true check (singleton),
  horizon timestamptz not null
);

-- The month of p_month (UTC) gets its partition unless it has one; rows of that
-- month waiting in readings_default move into it. Returns 1 if it created one.
create function ems_ensure_readings_partition(p_month timestamptz) returns integer
language plpgsql as $$
declare
  lo timestamptz := date_trunc('month', p_month at time zone 'UTC') at time zone 'UTC';
  hi timestamptz := (date_trunc('month', p_month at time zone 'UTC') + interval '1 month') at time zone 'UTC';
  part text := 'readings_' || to_char(p_month at time zone 'UTC', 'YYYY_MM');
begin
  if exists (select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
             where i.inhparent = 'readings'::regclass and c.relname = part) then
    return 0;
  end if;
  -- The parent first, as every insert locks it first: waits for the running
  -- transactions instead of deadlocking with one of them.
  lock table readings in access exclusive mode;
  if exists (select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
             where i.inhparent = 'readings'::regclass and c.relname = part) then
    return 0;
  end if;
  create temporary table ems_moving_readings as
    select * from readings_default where ts >= lo and ts < hi;
  delete from readings_default where ts >= lo and ts < hi;
  execute format('create table %I partition of readings for values from (%L) to (%L)', part, lo, hi);
  insert into readings select * from ems_moving_readings;
  drop table ems_moving_readings;
  return 1;
end $$;

-- Every month (UTC) from the one of p_from to the one of p_to; returns how many were created.
create function ems_ensure_readings_partitions(p_from timestamptz, p_to timestamptz) returns integer
language plpgsql as $$
declare
  m timestamp := date_trunc('month', p_from at time zone 'UTC');
  last timestamp := date_trunc('month', p_to at time zone 'UTC');
  created integer := 0;
begin
  while m <= last loop
    created := created + ems_ensure_readings_partition(m at time zone 'UTC');
    m := m + interval '1 month';
  end loop;
  return created;
end $$;

-- Retention: drops every monthly partition that ends at or before the start
-- of the month of p_before (UTC), deletes the default partition's rows before
-- that start, and records it as the raw horizon. Returns the partitions dropped.
create function ems_drop_readings_before(p_before timestamptz) returns integer
language plpgsql as $$
declare
  cut timestamptz := date_trunc('month', p_before at time zone 'UTC') at time zone 'UTC';
  part record;
  dropped integer := 0;
begin
  for part in
    select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'readings'::regclass and c.relname ~ '^readings_[0-9]{4}_[0-9]{2}$'
      and (to_date(substr(c.relname, 10), 'YYYY_MM')::timestamp + interval '1 month') at time zone 'UTC' <= cut
    order by c.relname
  loop
    if dropped = 0 then
      lock table readings in access exclusive mode;
    end if;
    execute format('drop table %I', part.relname);
    dropped := dropped + 1;
  end loop;
  delete from readings_default where ts < cut;
  insert into raw_horizon (horizon) values (cut)
    on conflict (singleton) do update set horizon = greatest(raw_horizon.horizon, excluded.horizon);
  return dropped;
end $$;

-- The stored readings move over: every month that has readings gets its
-- partition, and so do the last month, this one and the next two.
select ems_ensure_readings_partition(m) from (
  select distinct date_trunc('month', ts at time zone 'UTC') at time zone 'UTC' as m from readings_unpartitioned
) months order by m;
select ems_ensure_readings_partitions(now() - interval '1 month', now() + interval '2 months');
insert into readings (device_id, ts, value, kwh, cost)
  select device_id, ts, value, kwh, cost from readings_unpartitioned;
drop table readings_unpartitioned;
