/** The MQTT variables of the configuration (README, Configuration): defaults, checks, no URL echoed. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('MQTT configuration', () => {
  it('is off by default, with two connections', () => {
    const c = loadConfig({});
    expect(c.EMS_MQTT_URL).toBeUndefined();
    expect(c.EMS_MQTT_CONNECTIONS).toBe(2);
    expect(c.EMS_MQTT_TOPIC_PREFIX).toBeUndefined();
  });

  it('takes a broker URL, a topic prefix, a connection count and a client id', () => {
    const c = loadConfig({
      EMS_MQTT_URL: 'mqtt://ems:secret@broker:1883',
      EMS_MQTT_TOPIC_PREFIX: 'site-a/floor.2',
      EMS_MQTT_CONNECTIONS: '4',
      EMS_MQTT_CLIENT_ID: 'ems-api-1',
    });
    expect(c).toMatchObject({ EMS_MQTT_CONNECTIONS: 4, EMS_MQTT_CLIENT_ID: 'ems-api-1' });
  });

  it('refuses a URL that is not mqtt(s)/ws(s), without echoing it (it may hold a password)', () => {
    expect(() => loadConfig({ EMS_MQTT_URL: 'http://user:pw@broker' })).toThrow(ConfigError);
    try {
      loadConfig({ EMS_MQTT_URL: 'http://user:pw@broker' });
    } catch (err) {
      expect((err as Error).message).toMatch(/^Configuration error: EMS_MQTT_URL must be an mqtt:\/\//);
      expect((err as Error).message).not.toContain('pw');
    }
    expect(() => loadConfig({ EMS_MQTT_TOPIC_PREFIX: 'a+b' })).toThrow(/EMS_MQTT_TOPIC_PREFIX/);
    expect(() => loadConfig({ EMS_MQTT_CONNECTIONS: '0' })).toThrow(/EMS_MQTT_CONNECTIONS/);
  });
});
