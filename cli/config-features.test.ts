/**
 * The variables of the optional features (README, Configuration; API.md table):
 * MQTT ingest and notifications. Each is off by default, takes its values with
 * their types, refuses a URL of the wrong scheme without echoing it (it may hold
 * a password) and names the variable of any other bad value.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const features = [
  {
    name: 'MQTT',
    defaults: { EMS_MQTT_URL: undefined, EMS_MQTT_CONNECTIONS: 2, EMS_MQTT_TOPIC_PREFIX: undefined },
    set: {
      EMS_MQTT_URL: 'mqtt://ems:secret@broker:1883',
      EMS_MQTT_TOPIC_PREFIX: 'site-a/floor.2',
      EMS_MQTT_CONNECTIONS: '4',
      EMS_MQTT_CLIENT_ID: 'ems-api-1',
    },
    read: { EMS_MQTT_CONNECTIONS: 4, EMS_MQTT_CLIENT_ID: 'ems-api-1' },
    wrongScheme: { EMS_MQTT_URL: 'http://user:pw@broker' },
    refusal: /^Configuration error: EMS_MQTT_URL must be an mqtt:\/\//,
    invalid: { EMS_MQTT_TOPIC_PREFIX: 'a+b', EMS_MQTT_CONNECTIONS: '0' },
  },
  {
    name: 'notification',
    defaults: {
      EMS_SMTP_URL: undefined,
      EMS_WEBHOOK_ALLOW_PRIVATE: false,
      EMS_MAIL_FROM: 'EMS <ems@localhost>',
    },
    set: {
      EMS_SMTP_URL: 'smtp://u:pw@mail:587',
      EMS_MAIL_FROM: 'Alerts <alerts@example.com>',
      EMS_PUBLIC_URL: 'https://ems.example.com',
      EMS_WEBHOOK_ALLOW_PRIVATE: 'true',
    },
    read: { EMS_MAIL_FROM: 'Alerts <alerts@example.com>', EMS_WEBHOOK_ALLOW_PRIVATE: true },
    wrongScheme: { EMS_SMTP_URL: 'http://u:pw@mail' },
    refusal: /^Configuration error: EMS_SMTP_URL must be an smtp:\/\//,
    invalid: { EMS_WEBHOOK_ALLOW_PRIVATE: 'yes' },
  },
];

describe.each(features)('$name configuration', (feature) => {
  it('is off by default', () => {
    const config: Record<string, unknown> = loadConfig({});
    for (const [name, value] of Object.entries(feature.defaults)) expect(config[name], name).toBe(value);
  });

  it('reads set values with their types', () => {
    expect(loadConfig(feature.set)).toMatchObject(feature.read);
  });

  it('refuses a URL of another scheme without echoing it', () => {
    let error: unknown;
    try {
      loadConfig(feature.wrongScheme);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(feature.refusal);
    expect((error as Error).message).not.toContain('pw');
  });

  it.each(Object.entries(feature.invalid))('refuses a bad %s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
