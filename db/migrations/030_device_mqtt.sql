-- MQTT ingest (issue 15): a device may also be read from its own MQTT topic in a
-- vendor format (Tasmota, Shelly Gen2). Both columns are set together or not at
-- all. A topic names one device (unique), so a message on it has one owner; the
-- api's device routes answer 409 when a second device claims the same topic.
alter table devices
  add column mqtt_topic text,
  add column mqtt_format text check (mqtt_format in ('tasmota', 'shelly')),
  add constraint devices_mqtt_pair check ((mqtt_topic is null) = (mqtt_format is null));
create unique index devices_mqtt_topic_idx on devices (mqtt_topic) where mqtt_topic is not null;
