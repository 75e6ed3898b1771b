/**
 * The MQTT ingest's Prometheus metrics, registered in the api's registry so
 * they appear on its /metrics: messages by format and result (accepted,
 * invalid — its reason went to the errors topic —, ignored, failed — not
 * acknowledged, the broker redelivers), readings accepted, broker connections up.
 */
import { Counter, Gauge, Registry } from 'prom-client';

export type MessageResult = 'accepted' | 'invalid' | 'ignored' | 'failed';

export interface MqttMetrics {
  message(format: string, result: MessageResult): void;
  readings(n: number): void;
  connected(n: number): void;
}

export function createMqttMetrics(registry: Registry = new Registry()): MqttMetrics {
  const messages = new Counter({
    name: 'ems_mqtt_messages_total',
    help: 'MQTT messages by payload format and result (invalid: refused, reason published on the errors topic)',
    labelNames: ['format', 'result'] as const,
    registers: [registry],
  });
  const readings = new Counter({
    name: 'ems_mqtt_readings_total',
    help: 'Readings accepted over MQTT (acknowledged once durable)',
    registers: [registry],
  });
  const connected = new Gauge({
    name: 'ems_mqtt_connections',
    help: 'Broker connections of this node that are up',
    registers: [registry],
  });
  return {
    message: (format, result) => messages.inc({ format, result }),
    readings: (n) => readings.inc(n),
    connected: (n) => connected.set(n),
  };
}
