/**
 * `ems simulate` arguments → a checked `SimulateOptions`. Every mistake is one
 * `ArgumentError` whose message names the argument, so the command can print
 * a single clear line and exit 2. Environment defaults arrive as a plain
 * object (read once at the edge), never from `process.env` here.
 */
import { parseArgs } from 'node:util';
import { InvalidValueError, parseInstant, parseInterval, parseRange } from './durations.ts';
import { assertTimeZone } from './local-clock.ts';
import type { MeterKind } from './profile.ts';

export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

export interface SimulateOptions {
  help: boolean;
  /** A CSV file to replay, or undefined for the generated profile. */
  csv?: string;
  /** Meter kind of generated profiles (a register CSV is always cumulative). */
  meterKind: MeterKind;
  seed: number;
  spikeRate?: number;
  offsetStep?: number;
  deviceIds: string[];
  devicesFile?: string;
  create?: number;
  maxHourlyKwh?: number;
  timeZone: string;
  intervalMs: number;
  /** Timestamp of the first reading; undefined = now, aligned to the interval. */
  startMs?: number;
  speed: number | 'max';
  backfill?: { from: number; to: number };
  follow: boolean;
  /** Readings per device; undefined = the CSV's length, or endless. */
  count?: number;
  batchSize: number;
  concurrency: number;
  url: string;
  token?: string;
  tokenFile?: string;
  /** Enqueue straight into this Redis (redis://…) instead of POSTing to --url. */
  redis?: string;
  /** With --redis: the deployment's key prefix (EMS_REDIS_PREFIX) and shard count (EMS_SHARDS). */
  redisPrefix: string;
  shards: number;
  retryDelayMs: number;
  /** Publish to this MQTT broker (mqtt://…) instead of POSTing to --url. */
  mqtt?: string;
  /** With --mqtt: the servers' topic prefix (EMS_MQTT_TOPIC_PREFIX). */
  mqttPrefix: string;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  csv: { type: 'string' },
  meter: { type: 'string' },
  seed: { type: 'string' },
  'spike-rate': { type: 'string' },
  'offset-step': { type: 'string' },
  device: { type: 'string', multiple: true },
  'devices-file': { type: 'string' },
  create: { type: 'string' },
  'max-hourly-kwh': { type: 'string' },
  'time-zone': { type: 'string' },
  interval: { type: 'string' },
  start: { type: 'string' },
  speed: { type: 'string' },
  backfill: { type: 'string' },
  follow: { type: 'boolean' },
  count: { type: 'string' },
  batch: { type: 'string' },
  concurrency: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  redis: { type: 'string' },
  'redis-prefix': { type: 'string' },
  shards: { type: 'string' },
  'retry-delay': { type: 'string' },
  mqtt: { type: 'string' },
  'mqtt-prefix': { type: 'string' },
} as const;

export function parseSimulateArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
  now: number = Date.now(),
): SimulateOptions {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; args: string[] }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new ArgumentError(explainParseError(error));
  }
  if (values.help) return { ...defaults(env), help: true };

  const options: SimulateOptions = {
    ...defaults(env),
    csv: values.csv,
    deviceIds: values.device ?? [],
    devicesFile: values['devices-file'],
    tokenFile: values['token-file'],
    follow: values.follow ?? false,
  };
  const named = <T>(name: string, text: string | undefined, parse: (text: string) => T): T | undefined => {
    if (text === undefined) return undefined;
    try {
      return parse(text);
    } catch (error) {
      if (error instanceof InvalidValueError || error instanceof ArgumentError) {
        throw new ArgumentError(`--${name}: ${error.message}`);
      }
      throw error;
    }
  };

  if (values.meter !== undefined) {
    if (values.meter !== 'interval' && values.meter !== 'cumulative') {
      throw new ArgumentError(`--meter: "${values.meter}" is not a meter kind; use interval or cumulative`);
    }
    if (options.csv && values.meter === 'interval') {
      throw new ArgumentError('--meter interval: a --csv file replays a cumulative register');
    }
    options.meterKind = values.meter;
  }
  if (options.csv) options.meterKind = 'cumulative';
  options.seed = named('seed', values.seed, (t) => integer(t, 0, 2 ** 32 - 1)) ?? options.seed;
  options.spikeRate = named('spike-rate', values['spike-rate'], (t) => decimal(t, 0, 1));
  options.offsetStep = named('offset-step', values['offset-step'], (t) =>
    integer(t, 0, Number.MAX_SAFE_INTEGER),
  );
  options.create = named('create', values.create, (t) => integer(t, 1, 1000));
  options.maxHourlyKwh = named('max-hourly-kwh', values['max-hourly-kwh'], (t) => decimal(t, 0, 1e9));
  options.timeZone = named('time-zone', values['time-zone'], zone) ?? options.timeZone;
  options.intervalMs = named('interval', values.interval, parseInterval) ?? options.intervalMs;
  options.startMs = named('start', values.start, (t) => parseInstant(t, now));
  options.speed = named('speed', values.speed, speed) ?? options.speed;
  options.backfill = named('backfill', values.backfill, (t) => parseRange(t, now));
  options.count = named('count', values.count, (t) => integer(t, 0, Number.MAX_SAFE_INTEGER));
  options.batchSize = named('batch', values.batch, (t) => integer(t, 1, 5000)) ?? options.batchSize;
  options.concurrency =
    named('concurrency', values.concurrency, (t) => integer(t, 1, 64)) ?? options.concurrency;
  options.url = named('url', values.url, url) ?? options.url;
  options.token = values.token ?? options.token;
  options.redis = named('redis', values.redis, redisUrl);
  options.redisPrefix = named('redis-prefix', values['redis-prefix'], redisPrefix) ?? options.redisPrefix;
  options.shards = named('shards', values.shards, (t) => integer(t, 1, 4096)) ?? options.shards;
  options.retryDelayMs = named('retry-delay', values['retry-delay'], parseInterval) ?? options.retryDelayMs;
  options.mqtt = named('mqtt', values.mqtt, mqttUrl);
  options.mqttPrefix = named('mqtt-prefix', values['mqtt-prefix'], mqttPrefix) ?? options.mqttPrefix;
  if (options.mqtt !== undefined && options.redis !== undefined) {
    throw new ArgumentError('--mqtt and --redis: give only one transport');
  }
  if (options.mqtt === undefined && values['mqtt-prefix'] !== undefined) {
    throw new ArgumentError('--mqtt-prefix only applies with --mqtt URL');
  }

  if (options.backfill) {
    for (const [flag, given] of [
      ['--start', values.start],
      ['--count', values.count],
      ['--speed', values.speed],
    ] as const) {
      if (given !== undefined)
        throw new ArgumentError(`${flag} cannot be combined with --backfill (it sets the range)`);
    }
  } else if (options.follow) {
    throw new ArgumentError('--follow continues after a --backfill; give --backfill FROM..TO');
  }
  if (options.redis === undefined) {
    for (const flag of ['redis-prefix', 'shards'] as const) {
      if (values[flag] !== undefined) throw new ArgumentError(`--${flag} only applies with --redis URL`);
    }
  }
  if (values.token !== undefined && options.tokenFile !== undefined) {
    throw new ArgumentError('--token and --token-file: give only one');
  }
  if (!options.csv && options.speed === 'max' && options.count === undefined && !options.backfill) {
    throw new ArgumentError('--speed max: a generated profile needs --count N (or --backfill) to end');
  }
  return options;
}

function defaults(env: Record<string, string | undefined>): SimulateOptions {
  return {
    help: false,
    meterKind: 'interval',
    seed: 1,
    deviceIds: [],
    timeZone: env.EMS_DEFAULT_TIME_ZONE || 'UTC',
    intervalMs: 600_000,
    speed: 1,
    follow: false,
    batchSize: 1000,
    concurrency: 4,
    url: env.EMS_URL || 'http://localhost:8080',
    token: env.EMS_TOKEN || undefined,
    // The server's own variables, so a simulator run beside a deployment agrees with it.
    redisPrefix: env.EMS_REDIS_PREFIX || 'ems',
    shards: envShards(env.EMS_SHARDS),
    retryDelayMs: 250,
    mqttPrefix: env.EMS_MQTT_TOPIC_PREFIX || '',
  };
}

function integer(text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new ArgumentError(`"${text}" is not a whole number`);
  const value = Number(text);
  if (value < min || value > max) throw new ArgumentError(`${value} is outside ${min}–${max}`);
  return value;
}

function decimal(text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new ArgumentError(`"${text}" is not a number`);
  if (value < min || value > max) throw new ArgumentError(`${value} is outside ${min}–${max}`);
  return value;
}

function speed(text: string): number | 'max' {
  if (text === 'max') return 'max';
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new ArgumentError(
      `"${text}" is not a speed; use a positive number (60 = an hour per minute) or max`,
    );
  }
  return value;
}

function zone(text: string): string {
  try {
    assertTimeZone(text);
  } catch {
    throw new ArgumentError(`"${text}" is not an IANA time zone (e.g. Europe/Berlin)`);
  }
  return text;
}

function url(text: string): string {
  try {
    const parsed = new URL(text);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new ArgumentError(`"${text}" is not an http(s) URL`);
  }
  return text;
}

function envShards(text: string | undefined): number {
  const value = Number(text);
  return Number.isInteger(value) && value >= 1 && value <= 4096 ? value : 64;
}

function redisUrl(text: string): string {
  if (!/^rediss?:\/\/./.test(text)) throw new ArgumentError(`"${text}" is not a redis:// URL`);
  return text;
}

function mqttUrl(text: string): string {
  if (!/^(mqtts?|wss?|tcp):\/\/./.test(text)) throw new ArgumentError(`"${text}" is not an mqtt:// URL`);
  return text;
}

function mqttPrefix(text: string): string {
  // The server's EMS_MQTT_TOPIC_PREFIX rule.
  if (!/^[A-Za-z0-9_./-]+$/.test(text))
    throw new ArgumentError(`"${text}" may hold letters, digits, _ . - / only`);
  return text;
}

function redisPrefix(text: string): string {
  // The server's EMS_REDIS_PREFIX rule.
  if (!/^[A-Za-z0-9_.-]+$/.test(text))
    throw new ArgumentError(`"${text}" may hold letters, digits, _ . - only`);
  return text;
}

function explainParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const quoted = /'([^']+)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return quoted ? `${quoted.split(' ')[0]} needs a value` : message;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted ?? ''} (options start with --)`.trim();
    default:
      return message;
  }
}
