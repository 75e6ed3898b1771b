/**
 * The environment as the `ems` command reads it: the documented defaults, and
 * for any bad value a ConfigError whose message is one line naming the
 * variable — and never repeating a secret or a URL that may hold credentials.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(Object.keys(env))}`);
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8080,
      HOST: '0.0.0.0',
      EMS_DATA_DIR: './.ems-data',
      EMS_ADMIN_USERNAME: 'admin',
      EMS_SHARDS: 64,
      EMS_DEFAULT_TIME_ZONE: 'UTC',
    });
    for (const unset of [
      'DATABASE_URL',
      'REDIS_URL',
      'JWT_SECRET',
      'EMS_ADMIN_PASSWORD',
      'GEMINI_API_KEY',
      'EMS_RAW_RETENTION_DAYS',
    ] as const)
      expect(config[unset], unset).toBeUndefined();
  });

  it('reads set values with their types', () => {
    const config = loadConfig({
      PORT: '9090',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://ems@db:5432/ems',
      REDIS_URL: 'redis://cache:6379',
      JWT_SECRET: 'a-secret-of-enough-length',
      EMS_SHARDS: '16',
      EMS_DEFAULT_TIME_ZONE: 'Europe/Bucharest',
      EMS_RAW_RETENTION_DAYS: '400',
      UNRELATED: 'ignored',
    });
    expect(config).toMatchObject({
      PORT: 9090,
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://ems@db:5432/ems',
      REDIS_URL: 'redis://cache:6379',
      EMS_SHARDS: 16,
      EMS_DEFAULT_TIME_ZONE: 'Europe/Bucharest',
      EMS_RAW_RETENTION_DAYS: 400,
    });
  });

  it('takes a Redis Cluster as a list of nodes in REDIS_URL, or one seed with EMS_REDIS_CLUSTER', () => {
    expect(loadConfig({}).EMS_REDIS_CLUSTER).toBe(false);
    const list = loadConfig({ REDIS_URL: 'redis://r1:7000,redis://r2:7001,r3:7002' });
    expect(list).toMatchObject({
      REDIS_URL: 'redis://r1:7000,redis://r2:7001,r3:7002',
      EMS_REDIS_CLUSTER: false,
    });
    expect(loadConfig({ REDIS_URL: 'redis://r1:7000', EMS_REDIS_CLUSTER: 'true' }).EMS_REDIS_CLUSTER).toBe(
      true,
    );
    expect(errorOf({ EMS_REDIS_CLUSTER: 'yes' }).message).toMatch(
      /^Configuration error: EMS_REDIS_CLUSTER\b/,
    );
    const mixed = errorOf({ REDIS_URL: 'redis://:pw-in-list@r1:7000,rediss://r2:7001' }).message;
    expect(mixed).toMatch(/^Configuration error: REDIS_URL\b/);
    expect(mixed).not.toContain('pw-in-list');
  });

  it('treats an empty variable as unset (PORT= is 8080, not a random port)', () => {
    const config = loadConfig({ PORT: '', EMS_SHARDS: '', HOST: '', DATABASE_URL: '', JWT_SECRET: '' });
    expect(config).toMatchObject({ PORT: 8080, EMS_SHARDS: 64, HOST: '0.0.0.0' });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('refuses bad values with one line naming the variable', () => {
    // Each value alone is refused by the variable it is set in.
    const refused: Record<string, string[]> = {
      PORT: ['abc', '70000', '1\n2'],
      EMS_SHARDS: ['0', '2.5'],
      EMS_DEFAULT_TIME_ZONE: ['Mars/X'],
      REDIS_URL: ['memcached://cache'],
      EMS_RAW_RETENTION_DAYS: ['0', '30.5', 'forever'],
    };
    const cases: Array<[Record<string, string>, string]> = [
      ...Object.entries(refused).flatMap(([name, values]) =>
        values.map((value): [Record<string, string>, string] => [{ [name]: value }, name]),
      ),
      [{ DATABASE_URL: 'mysql://root:hunter2pass@db/ems', JWT_SECRET: 'x'.repeat(20) }, 'DATABASE_URL'],
      [{ DATABASE_URL: 'postgres://ems:s3cr3t-db-pass@db/ems' }, 'JWT_SECRET'],
    ];
    for (const [env, name] of cases) {
      const { message } = errorOf(env);
      expect(message, JSON.stringify(env)).toMatch(new RegExp(`^Configuration error: ${name}\\b`));
      expect(message, JSON.stringify(env)).not.toContain('\n');
    }
    expect(errorOf({ PORT: 'abc' }).message).toContain('"abc"');
  });

  it('never echoes secrets or URLs that may hold credentials', () => {
    const secrets: Array<[Record<string, string>, string]> = [
      [{ DATABASE_URL: 'mysql://root:hunter2pass@db/ems', JWT_SECRET: 'x'.repeat(20) }, 'hunter2pass'],
      [{ DATABASE_URL: 'postgres://ems:s3cr3t-db-pass@db/ems' }, 's3cr3t-db-pass'],
      [{ JWT_SECRET: 'short-sec' }, 'short-sec'],
      [{ REDIS_URL: 'http://:redispass@cache' }, 'redispass'],
      [{ GEMINI_BASE_URL: 'not a url key=abc123' }, 'abc123'],
    ];
    for (const [env, secret] of secrets) {
      const { message } = errorOf(env);
      expect(message).not.toContain(secret);
    }
  });

  it('EMS_TRUSTED_PROXIES is a list of CIDRs; EMS_METRICS_TOKEN needs 16 characters; the token is never echoed', () => {
    expect(loadConfig({}).EMS_TRUSTED_PROXIES).toEqual([]);
    expect(loadConfig({ EMS_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.7,fd00::/8' }).EMS_TRUSTED_PROXIES).toEqual(
      ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'],
    );
    expect(errorOf({ EMS_TRUSTED_PROXIES: '10.0.0.0/33' }).message).toMatch(
      /^Configuration error: EMS_TRUSTED_PROXIES/,
    );
    expect(errorOf({ EMS_TRUSTED_PROXIES: 'proxy.local' }).message).toMatch(/EMS_TRUSTED_PROXIES/);
    expect(loadConfig({ EMS_METRICS_TOKEN: 'a-long-metrics-token' }).EMS_METRICS_TOKEN).toBe(
      'a-long-metrics-token',
    );
    const short = errorOf({ EMS_METRICS_TOKEN: 'short-secret' });
    expect(short.message).toMatch(/EMS_METRICS_TOKEN/);
    expect(short.message).not.toContain('short-secret');
  });
});
