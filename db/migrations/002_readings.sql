-- The reading path. Energies are numeric so that hourly totals are exact sums
-- of register differences (values are rounded to 1e-9 kWh before storage).
--
-- readings: one row per (device, ts) — the dedupe key of invariant 2.
-- kwh is the energy attributed to this reading's interval.
create table readings (
  device_id uuid not null references devices (id) on delete cascade,
  ts timestamptz not null,
  value double precision not null,
  kwh numeric not null,
  primary key (device_id, ts)
);

-- hourly: the aggregate per device and local hour start (an instant).
create table hourly (
  device_id uuid not null references devices (id) on delete cascade,
  hour_start timestamptz not null,
  kwh numeric not null,
  readings integer not null,
  primary key (device_id, hour_start)
);

-- alerts: at most one per device, hour and kind (invariant 3).
create table alerts (
  id uuid primary key,
  device_id uuid not null references devices (id) on delete cascade,
  kind text not null check (kind in ('exceeded', 'projected')),
  hour_start timestamptz not null,
  kwh numeric not null,
  max_hourly_kwh double precision not null,
  late boolean not null default false,
  created_at timestamptz not null default now(),
  acknowledged_at timestamptz,
  unique (device_id, hour_start, kind)
);
create index alerts_open_idx on alerts (created_at desc) where acknowledged_at is null;

-- shard_fences: the fencing epoch of the current lease holder of each shard
-- (invariant 4) and the shard's watermark. Every job's transaction checks its
-- epoch here; a node that lost its lease finds a higher epoch and rolls back.
create table shard_fences (
  shard integer primary key,
  epoch bigint not null,
  jobs bigint not null default 0,
  updated_at timestamptz not null default now()
);
