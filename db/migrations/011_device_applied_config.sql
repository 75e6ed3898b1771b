-- Configuration in reading order (invariant 7). `config_version` counts the
-- changes of the configuration that decides how readings count (limit, zone,
-- meter kind; tariff and silence when they exist). `applied_config` is the
-- configuration the device's actor has reached in shard order, written in the
-- fenced transaction of the configure control message; while it lags behind
-- the row, readings queued before the change still count under it. Null: the
-- row itself is in force (no change since creation).
alter table devices add column config_version bigint not null default 0;
alter table devices add column applied_config jsonb;
