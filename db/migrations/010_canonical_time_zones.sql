-- Zones used to be stored as typed ('europe/bucharest'); they are now stored in
-- their canonical spelling (API.md). Rewrite existing rows to the spelling
-- Postgres's own tz database uses for the same name, ignoring case. Only the
-- spelling changes: the zone, and so every stored hour, stays the same.
update devices d
set time_zone = n.name
from (
  select distinct on (lower(name)) name
  from pg_timezone_names
  where name not like 'posix/%' and name not like 'right/%'
  order by lower(name), name
) n
where lower(n.name) = lower(d.time_zone) and n.name <> d.time_zone;
