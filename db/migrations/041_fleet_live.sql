-- The fleet summary's working set (GET /api/fleet/summary), one narrow row per
-- device, kept in the same fenced transaction that writes the device's
-- readings (db/device-store.ts), so the summary never scans raw readings:
-- the latest reading's time, the device's open (latest) local hour with its
-- total, and the local day of that hour with its total. The bounds are
-- instants computed with the device's zone (core/time.ts), so "today" and
-- "this hour" are the device's own, compared with now() without zone math.
-- max_hourly_kwh is the limit in force for the actor (applied configuration),
-- kept here so "over the limit now" needs no join with devices.
create table device_live (
  device_id uuid primary key references devices (id) on delete cascade,
  max_hourly_kwh double precision not null,
  last_ts timestamptz not null,
  hour_start timestamptz not null,
  hour_end timestamptz not null,
  hour_kwh numeric not null,
  day_start timestamptz not null,
  day_end timestamptz not null,
  day_kwh numeric not null
);

-- Existing data: the latest hourly row of each device, with its local day as
-- Postgres's own tz database cuts it (an approximation the next reading
-- replaces with core/time.ts's exact bounds).
insert into device_live (device_id, max_hourly_kwh, last_ts, hour_start, hour_end, hour_kwh, day_start, day_end, day_kwh)
select d.id, coalesce((d.applied_config->>'maxHourlyKwh')::float8, d.max_hourly_kwh), r.ts, h.hour_start, h.hour_start + interval '1 hour', h.kwh, x.ds, x.de,
  (select coalesce(sum(kwh), 0) from hourly where device_id = d.id and hour_start >= x.ds and hour_start < x.de)
from devices d
join lateral (select hour_start, kwh from hourly where device_id = d.id order by hour_start desc limit 1) h on true
join lateral (select max(ts) as ts from readings where device_id = d.id) r on r.ts is not null
cross join lateral (
  select date_trunc('day', h.hour_start at time zone d.time_zone) at time zone d.time_zone as ds,
    (date_trunc('day', h.hour_start at time zone d.time_zone) + interval '1 day') at time zone d.time_zone as de
) x;

-- Alerts of the last 24 hours, by the hour they were raised for.
create index alerts_hour_idx on alerts (hour_start);
