/**
 * The MQTT topic layout of API.md (Readings → MQTT), under an optional prefix
 * (EMS_MQTT_TOPIC_PREFIX; empty in production, random per test so parallel
 * test runs sharing one broker never see each other's messages):
 *   <p>ems/devices/<deviceId>/readings   readings in, device from the topic
 *   <p>ems/devices/<deviceId>/errors     why a message was refused, out
 * Subscriptions go through the shared group `ems` (`$share/ems/<filter>`), so
 * the broker hands each message to one api node and N nodes split the load.
 */
export const SHARE_GROUP = 'ems';

export const sharedFilter = (filter: string) => `$share/${SHARE_GROUP}/${filter}`;

export interface MqttTopics {
  /** The wildcard filter of the readings topics. */
  readingsFilter: string;
  readingsOf(deviceId: string): string;
  errorsOf(deviceId: string): string;
  /** The device id of a readings topic, or null when `topic` is not one. */
  deviceOfReadingsTopic(topic: string): string | null;
}

export function mqttTopics(prefix = ''): MqttTopics {
  const base = prefix ? `${prefix.replace(/\/+$/, '')}/ems/devices/` : 'ems/devices/';
  return {
    readingsFilter: `${base}+/readings`,
    readingsOf: (id) => `${base}${id}/readings`,
    errorsOf: (id) => `${base}${id}/errors`,
    deviceOfReadingsTopic(topic) {
      if (!topic.startsWith(base) || !topic.endsWith('/readings')) return null;
      const id = topic.slice(base.length, -'/readings'.length);
      return id.length > 0 && !id.includes('/') ? id : null;
    },
  };
}
