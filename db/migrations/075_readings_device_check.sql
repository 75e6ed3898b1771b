-- Ingest throughput (issue 14): the foreign key from `readings` to `devices`
-- checked every inserted reading on its own (one lookup and one row lock per
-- reading, most of the time a job's transaction spent in Postgres). The same
-- guarantee is now kept per device instead of per reading:
--
-- * on insert, the job's transaction locks the rows of the devices it writes
--   readings for (`select ... for key share`, the lock the foreign key took)
--   and refuses the whole batch if one is gone (db/device-store.ts,
--   UnknownDeviceError), so a reading never outlives its device's delete:
--   a delete waits for the job's COMMIT, a job waits for the delete's;
-- * on delete, the statement below removes the device's readings, as the
--   `on delete cascade` did.
--
-- Every foreign key of `readings` is dropped by what it references, so this
-- holds whether `readings` is a plain or a partitioned table (migration 070).
-- Runtime nodes of the previous release (rolling upgrade) stay safe without
-- the lock: every reading they insert comes with its `hourly` row, whose
-- foreign key refuses a deleted device or waits for a delete in progress.
do $$
declare
  fk text;
begin
  for fk in
    select conname from pg_constraint
    where conrelid = 'readings'::regclass and contype = 'f' and confrelid = 'devices'::regclass
  loop
    execute format('alter table readings drop constraint %I', fk);
  end loop;
end $$;

create function devices_delete_readings() returns trigger language plpgsql as $$
begin
  delete from readings r using gone where r.device_id = gone.id;
  return null;
end $$;

create trigger devices_delete_readings after delete on devices
  referencing old table as gone
  for each statement execute function devices_delete_readings();
