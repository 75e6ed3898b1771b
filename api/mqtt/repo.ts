/** The devices that are read from their own MQTT topic (mqttTopic + mqttFormat set). */
import type { Sql } from '../../db/connect.ts';

export interface DeviceTopic {
  topic: string;
  deviceId: string;
  format: 'tasmota' | 'shelly';
  timeZone: string;
}

export async function deviceTopics(sql: Sql): Promise<DeviceTopic[]> {
  return sql<DeviceTopic[]>`select mqtt_topic as topic, id as "deviceId", mqtt_format as format,
      time_zone as "timeZone"
    from devices where mqtt_topic is not null and mqtt_format is not null`;
}
