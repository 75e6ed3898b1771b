import { describe, expect, it } from 'vitest';
import { ArgumentError, parseSimulateArgs } from './args.ts';
import { formatDuration, parseInstant, parseInterval, parseRange } from './durations.ts';

describe('parseInterval', () => {
  it.each([
    ['30s', 30_000],
    ['1m', 60_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1.5m', 90_000],
  ])('%s → %i ms', (text, ms) => {
    expect(parseInterval(text)).toBe(ms);
  });

  it.each(['10', '0m', '-1m', '10 minutes', '', 'm', '0.5ms'])('refuses %j', (text) => {
    expect(() => parseInterval(text)).toThrow();
  });

  it('formats durations for humans', () => {
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(3_900_000)).toBe('1h 05m');
  });
});

describe('instants and ranges', () => {
  it('needs an offset; accepts Z, ±hh:mm and now', () => {
    expect(parseInstant('2026-03-10T00:00:00+02:00')).toBe(Date.parse('2026-03-09T22:00:00Z'));
    expect(parseInstant('2026-03-10T00:00Z')).toBe(Date.parse('2026-03-10T00:00:00Z'));
    expect(parseInstant('now', 42)).toBe(42);
    expect(() => parseInstant('2026-03-10T00:00:00')).toThrow('with an offset');
  });

  it('parses FROM..TO and refuses backwards ranges', () => {
    expect(parseRange('2026-03-10T00:00Z..2026-03-10T01:00Z')).toEqual({
      from: Date.parse('2026-03-10T00:00Z'),
      to: Date.parse('2026-03-10T01:00Z'),
    });
    expect(() => parseRange('2026-03-10T01:00Z..2026-03-10T00:00Z')).toThrow('TO must be after FROM');
    expect(() => parseRange('2026-03-10T01:00Z')).toThrow('FROM..TO');
  });
});

describe('parseSimulateArgs', () => {
  const parse = (...argv: string[]) => parseSimulateArgs(argv, {}, Date.parse('2026-03-10T12:00:00Z'));
  const refusal = (...argv: string[]) => {
    try {
      parse(...argv);
    } catch (error) {
      expect(error).toBeInstanceOf(ArgumentError);
      return (error as Error).message;
    }
    throw new Error('expected an ArgumentError');
  };

  it('has the documented defaults', () => {
    const options = parse('--device', 'd1');
    expect(options).toMatchObject({
      deviceIds: ['d1'],
      intervalMs: 600_000,
      speed: 1,
      batchSize: 1000,
      concurrency: 4,
      url: 'http://localhost:8080',
      meterKind: 'interval',
      follow: false,
    });
    expect(options.startMs).toBeUndefined();
  });

  it('reads everything a run needs', () => {
    const options = parse(
      ...['--device', 'a', '--device', 'b', '--interval', '1m', '--start', '2026-03-10T00:00:00+02:00'],
      ...['--speed', '60', '--count', '5', '--batch', '5000', '--concurrency', '2', '--meter', 'cumulative'],
    );
    expect(options).toMatchObject({
      deviceIds: ['a', 'b'],
      intervalMs: 60_000,
      startMs: Date.parse('2026-03-09T22:00:00Z'),
      speed: 60,
      count: 5,
      batchSize: 5000,
      concurrency: 2,
      meterKind: 'cumulative',
    });
  });

  it('takes url and token defaults from the environment it is given', () => {
    const options = parseSimulateArgs(['--device', 'a'], { EMS_URL: 'http://x:1', EMS_TOKEN: 't' });
    expect(options.url).toBe('http://x:1');
    expect(options.token).toBe('t');
  });

  it('a --csv replay is a cumulative meter and refuses --meter interval', () => {
    expect(parse('--csv', 'f.csv', '--device', 'a').meterKind).toBe('cumulative');
    expect(refusal('--csv', 'f.csv', '--meter', 'interval')).toContain('--meter interval');
  });

  it.each([
    [['--interval', '10'], '--interval: "10" is not an interval'],
    [['--batch', '5001'], '--batch: 5001 is outside 1–5000'],
    [['--batch', 'lots'], '--batch: "lots" is not a whole number'],
    [['--speed', '0'], '--speed: "0" is not a speed'],
    [['--meter', 'gas'], '--meter: "gas" is not a meter kind'],
    [['--start', 'yesterday'], '--start: "yesterday" is not an ISO 8601 time'],
    [['--time-zone', 'Mars/Olympus'], '--time-zone: "Mars/Olympus" is not an IANA time zone'],
    [['--url', 'ftp://x'], '--url: "ftp://x" is not an http(s) URL'],
    [['--frobnicate'], 'unknown option --frobnicate'],
    [['--csv'], '--csv needs a value'],
    [['stray'], 'unexpected argument stray'],
    [['--follow'], '--follow continues after a --backfill'],
    [['--backfill', '2026-03-01T00:00Z..now', '--count', '3'], '--count cannot be combined with --backfill'],
    [['--speed', 'max', '--device', 'a'], '--speed max: a generated profile needs --count'],
  ])('%j → %s', (argv, message) => {
    expect(refusal(...argv)).toContain(message);
  });

  it('--backfill resolves now and allows --follow', () => {
    const options = parse('--backfill', '2026-03-10T00:00Z..now', '--follow', '--device', 'a');
    expect(options.backfill).toEqual({
      from: Date.parse('2026-03-10T00:00Z'),
      to: Date.parse('2026-03-10T12:00Z'),
    });
    expect(options.follow).toBe(true);
  });
});

describe('--redis', () => {
  it('takes the prefix and shard count from the servers’ own variables unless given', () => {
    const env = { EMS_REDIS_PREFIX: 'prod', EMS_SHARDS: '16' };
    expect(parseSimulateArgs(['--device', 'a', '--redis', 'redis://r:6379'], env)).toMatchObject({
      redis: 'redis://r:6379',
      redisPrefix: 'prod',
      shards: 16,
    });
    expect(
      parseSimulateArgs(
        ['--device', 'a', '--redis', 'redis://r', '--redis-prefix', 'x', '--shards', '8'],
        env,
      ),
    ).toMatchObject({ redisPrefix: 'x', shards: 8 });
    expect(parseSimulateArgs(['--device', 'a', '--redis', 'rediss://r'])).toMatchObject({
      redisPrefix: 'ems',
      shards: 64,
    });
  });

  it.each([
    [['--redis', 'localhost:6379'], '--redis: "localhost:6379" is not a redis:// URL'],
    [['--redis', 'redis://r', '--shards', '0'], '--shards: 0 is outside 1–4096'],
    [['--redis-prefix', 'ems'], '--redis-prefix only applies with --redis URL'],
  ])('%j is refused', (argv, message) => {
    expect(() => parseSimulateArgs(['--device', 'a', ...argv])).toThrow(new ArgumentError(message));
  });
});
