/** The text of `ems simulate --help`. */
export const SIMULATE_HELP = `Usage: ems simulate [options]

Sends meter readings to an EMS server: replays a CSV file or generates a
seeded household load profile for one or many devices.

Source
  --csv FILE               replay FILE: classic sensor.csv (one cumulative register
                           value per line) or a table with the header
                           timestamp,device_id,measurement_value
  --meter interval|cumulative
                           meter kind of the generated profile (default interval)
  --seed N                 seed of the generated profile (default 1)
  --spike-rate P           probability of a spike per interval (default 0.02)
  --offset-step N          CSV line offset between devices (default: spread evenly)

Devices
  --device ID              a device id (repeat for several)
  --devices-file FILE      device ids, one per line (# comments allowed)
  --create N               create N demo devices with the admin token; prints their ids
  --max-hourly-kwh X       limit of created devices (default: suited to the source)
  --time-zone ZONE         zone of created devices and of the profile's day
                           (default $EMS_DEFAULT_TIME_ZONE or UTC)

Time
  --interval D             meter interval: 30s, 1m, 10m, 1h (default 10m)
  --start TIME             timestamp of the first reading, ISO 8601 with offset
                           (default: now, aligned to the interval; faster than real
                           time with a known count, the series ends now instead)
  --speed X                simulated time per real time: 1 = real time (default),
                           60 = one simulated hour per minute, max = as fast as the
                           server accepts
  --count N                readings per device (CSV default: every line; generated
                           profile default: endless)
  --backfill FROM..TO      send the readings from FROM (inclusive) to TO (exclusive)
                           as fast as possible; TO may be "now"
  --follow                 after --backfill, keep sending in real time

Transport
  --url URL                EMS server (default $EMS_URL or http://localhost:8080)
  --token TOKEN            admin JWT / access token, or a device ingest token
                           (default $EMS_TOKEN)
  --token-file FILE        read the token from FILE
  --batch N                readings per request, 1-5000 (default 1000)
  --concurrency N          requests in flight at most (default 4)
  --retry-delay D          first retry delay, doubled per attempt (default 250ms)
  --redis URL              enqueue straight onto the shard queues in Redis, skipping
                           the api (same checks as the api, except that device ids
                           are not checked: the runtime drops unknown devices);
                           a Redis Cluster: list several nodes, comma-separated
  --redis-prefix P         with --redis: the servers' key prefix (default
                           $EMS_REDIS_PREFIX or ems)
  --shards N               with --redis: the servers' shard count (default
                           $EMS_SHARDS or 64); must match, or readings are lost
  --mqtt URL               publish to the MQTT broker the api nodes ingest from
                           (mqtt://host:1883), one QoS 1 message per device on
                           ems/devices/<id>/readings; refusals are published on
                           ems/devices/<id>/errors, not reported here
  --mqtt-prefix P          with --mqtt: the servers' topic prefix (default
                           $EMS_MQTT_TOPIC_PREFIX or none)

  -h, --help               show this help

Transient failures (429, 5xx, network) are retried until accepted; the server
deduplicates by (device, timestamp), so resending is safe. A refused batch
(400/401/403/422) stops the run with the server's explanation. Ctrl-C stops after
the requests in flight and prints a summary (exit 130).

Examples
  ems simulate --create 3 --csv ../shared/data/sensor.csv --speed max --token $T
  ems simulate --device $ID --meter cumulative --backfill 2026-03-01T00:00Z..now --follow
  ems simulate --devices-file ids.txt --interval 1m --speed 60
`;
