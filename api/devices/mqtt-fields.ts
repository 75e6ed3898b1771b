/**
 * The two MQTT fields of a device (`mqttTopic`, `mqttFormat`, API.md Devices)
 * and the rules that span them: both set or both null; the vendor formats
 * carry a cumulative energy register, so such a device is a `cumulative`
 * meter (an `interval` meter would count every register value as new energy);
 * a topic names one device (409 when another device has it). The fields'
 * schemas are in api/contract.ts (`MqttFields`), so the UI types them too.
 */
export { MqttFields, MqttTopic } from '../contract.ts';

import { ApiError } from '../errors.ts';

interface MqttState {
  mqttTopic: string | null;
  mqttFormat: string | null;
  meterKind: string;
}

/** Refuses a device whose MQTT fields (after the change) do not fit together. */
export function assertMqttFields(d: MqttState): void {
  if ((d.mqttTopic === null) !== (d.mqttFormat === null)) {
    const missing = d.mqttTopic === null ? 'mqttTopic' : 'mqttFormat';
    throw new ApiError('invalid_request', 'mqttTopic and mqttFormat are set together', [
      { path: missing, message: 'required when the other MQTT field is set' },
    ]);
  }
  if (d.mqttFormat !== null && d.meterKind !== 'cumulative') {
    throw new ApiError('invalid_request', `A ${d.mqttFormat} meter sends a cumulative register`, [
      { path: 'meterKind', message: 'must be cumulative when mqttFormat is set' },
    ]);
  }
}

/** A second device claiming the same topic breaks the unique index: 409, never 500. */
export function conflictOnTopic(err: unknown): never {
  const e = err as { code?: string; constraint_name?: string };
  if (e.code === '23505' && e.constraint_name === 'devices_mqtt_topic_idx') {
    throw new ApiError('conflict', 'Another device already uses this mqttTopic', [
      { path: 'mqttTopic', message: 'already used by another device' },
    ]);
  }
  throw err;
}
