import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type FakeIngestServer,
  type IngestBehaviour,
  readingKey,
  startFakeIngestServer,
} from './fake-ingest-server.ts';
import { KeptOutput, runSimulate, type SimulateIo } from './index.ts';

// Relative to the repository root, where vitest runs: the shared meter file is never copied in.
const SENSOR_CSV = '../shared/data/sensor.csv';
const sensorLines = readFileSync(SENSOR_CSV, 'utf8').trim().split('\n');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let server: FakeIngestServer | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'ems-simulate-'));
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(
  argv: string[],
  behave?: (r: { number: number }) => IngestBehaviour,
  extra: Partial<SimulateIo> = {},
) {
  server ??= await startFakeIngestServer(behave);
  const stdout = new KeptOutput();
  const stderr = new KeptOutput();
  const controller = new AbortController();
  const code = await runSimulate([...argv, '--url', server.url], {
    stdout,
    stderr,
    env: { EMS_TOKEN: 'admin-token' },
    signal: controller.signal,
    ...extra,
  });
  return { code, stdout: stdout.text, stderr: stderr.text, server };
}

describe('ems simulate end to end (against a fake ingest server)', () => {
  it('replays sensor.csv for two devices at max speed and prints a summary', async () => {
    const { code, stdout, stderr } = await run([
      ...['--csv', SENSOR_CSV, '--device', 'dev-a', '--device', 'dev-b', '--speed', 'max', '--batch', '500'],
    ]);
    expect(stderr).toContain('7998 readings for 2 device(s)');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^done: sent 7998 readings in 16 batches, accepted 7998, retries 0, duration .+, rate .+\/s\n$/,
    );
    expect(server!.stored.size).toBe(7998);
    expect(
      server!.requests.every((r) => r.readings.length <= 500 && r.authorization === 'Bearer admin-token'),
    ).toBe(true);
    // Device b starts half-way through the file: the two do not move in lockstep.
    const firstOfB = server!.log.find((r) => r.deviceId === 'dev-b')!;
    expect(String(firstOfB.value)).toBe(sensorLines[1999]);
  });

  it('--start 2026-03-10T00:00:00+02:00 --interval 10m: 145 lines → 145 readings at exact 10-minute steps', async () => {
    const { code } = await run([
      ...['--csv', SENSOR_CSV, '--device', 'm1', '--start', '2026-03-10T00:00:00+02:00'],
      ...['--interval', '10m', '--count', '145', '--speed', 'max'],
    ]);
    expect(code).toBe(0);
    const sent = server!.log;
    expect(sent).toHaveLength(145);
    const start = Date.parse('2026-03-10T00:00:00+02:00');
    sent.forEach((reading, i) => {
      expect(Date.parse(reading.timestamp)).toBe(start + i * 600_000);
      expect(String(reading.value)).toBe(sensorLines[i]);
    });
  });

  it('at max speed without --start the series ends at the current interval, never in the future', async () => {
    const before = Date.now();
    const { code } = await run(['--device', 'p1', '--count', '6', '--interval', '1h', '--speed', 'max']);
    expect(code).toBe(0);
    const times = server!.log.map((r) => Date.parse(r.timestamp));
    expect(times).toHaveLength(6);
    const hourOf = (ms: number) => Math.floor(ms / 3_600_000) * 3_600_000;
    expect([hourOf(before), hourOf(Date.now())]).toContain(times.at(-1));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(3_600_000);
  });

  it('retries through 503s and dropped connections and still delivers everything', async () => {
    const { code, stdout } = await run(
      [
        ...['--device', 'g1', '--device', 'g2', '--count', '300', '--speed', 'max', '--batch', '100'],
        '--retry-delay',
        '1ms',
      ],
      ({ number }) => (number % 2 === 1 ? 'unavailable' : number % 4 === 0 ? 'drop-before' : 'accept'),
    );
    expect(code).toBe(0);
    expect(server!.stored.size).toBe(600);
    const retries = Number(/retries (\d+)/.exec(stdout)?.[1]);
    expect(retries).toBeGreaterThan(0);
  });

  it('a 400 is not retried: exits 1 and prints the server message and details', async () => {
    const { code, stderr, stdout } = await run(['--device', 'x', '--count', '3', '--speed', 'max'], () => ({
      status: 400,
      body: {
        error: {
          code: 'invalid_request',
          message: 'Some readings are invalid.',
          details: [{ path: 'readings.0.deviceId', message: 'Invalid UUID' }],
        },
      },
    }));
    expect(code).toBe(1);
    expect(server!.requests).toHaveLength(1);
    expect(stderr).toContain(
      'the server refused the request: 400 invalid_request: Some readings are invalid.',
    );
    expect(stderr).toContain('readings.0.deviceId: Invalid UUID');
    expect(stdout).toContain('failed: sent 0 readings');
  });

  it('--create N makes devices through the API, prints their ids and feeds them', async () => {
    const { code, stdout } = await run([
      ...[
        '--create',
        '2',
        '--meter',
        'cumulative',
        '--time-zone',
        'Europe/Berlin',
        '--count',
        '4',
        '--speed',
        'max',
      ],
    ]);
    expect(code).toBe(0);
    const ids = stdout.split('\n').filter((line) => UUID.test(line));
    expect(ids).toHaveLength(2);
    expect(server!.createdDevices.map((d) => d.id)).toEqual(ids);
    expect(server!.createdDevices[0]).toMatchObject({ meterKind: 'cumulative', timeZone: 'Europe/Berlin' });
    expect(server!.createdDevices[0]!.maxHourlyKwh).toBeGreaterThan(0);
    expect(new Set(server!.log.map((r) => r.deviceId))).toEqual(new Set(ids));
    expect(server!.stored.size).toBe(8);
  });

  it('replays a table CSV with its own devices and timestamps', async () => {
    const file = join(tmp, 'table.csv');
    writeFileSync(
      file,
      'timestamp,device_id,measurement_value\n2026-03-10T00:00:00+01:00,a,1\n2026-03-10T00:10:00+01:00,b,2\n',
    );
    const { code } = await run(['--csv', file, '--speed', 'max']);
    expect(code).toBe(0);
    expect(server!.stored).toEqual(
      new Set([readingKey('a', '2026-03-09T23:00:00Z'), readingKey('b', '2026-03-09T23:10:00Z')]),
    );
  });

  it('an interrupt stops after the batch in flight, prints the summary and exits 130', async () => {
    const controller = new AbortController();
    const { code, stdout } = await run(
      ['--device', 'i1', '--count', '5000', '--speed', 'max', '--batch', '100', '--concurrency', '1'],
      () => {
        controller.abort();
        return 'accept';
      },
      { signal: controller.signal },
    );
    expect(code).toBe(130);
    expect(stdout).toMatch(/^interrupted: sent 100 readings in 1 batch,/m);
    expect(server!.stored.size).toBe(100);
  });
});

describe('ems simulate argument handling', () => {
  it('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: ems simulate');
    expect(stdout).toContain('--backfill FROM..TO');
  });

  it.each([
    [['--device', 'a', '--interval', 'soon'], '--interval'],
    [['--device', 'a', '--batch', '0'], '--batch'],
    [['--nope'], '--nope'],
    [['--count', '3'], 'no devices'],
    [['--csv', 'missing-file.csv', '--device', 'a'], '--csv: cannot read missing-file.csv (ENOENT)'],
    [
      ['--redis', 'http://127.0.0.1:6379', '--device', 'a'],
      '--redis: "http://127.0.0.1:6379" is not a redis:// URL',
    ],
    [['--shards', '8', '--device', 'a'], '--shards only applies with --redis URL'],
    [['--redis', 'redis://127.0.0.1:6379', '--redis-prefix', 'a:b', '--device', 'a'], '--redis-prefix'],
  ])('%j → one line naming the problem, exit 2', async (argv, message) => {
    const { code, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('--help');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(server!.requests).toHaveLength(0);
  });

  it('a CSV with a bad line is refused before anything is sent, naming the line', async () => {
    const file = join(tmp, 'bad.csv');
    writeFileSync(file, '0\n1\noops\n');
    const { code, stderr } = await run(['--csv', file, '--device', 'a', '--speed', 'max']);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file} line 3: "oops"`);
    expect(server!.requests).toHaveLength(0);
  });

  it('needs a token', async () => {
    server = await startFakeIngestServer();
    const stderr = new KeptOutput();
    const code = await runSimulate(['--device', 'a', '--count', '1', '--url', server.url], {
      stdout: new KeptOutput(),
      stderr,
      env: {},
      signal: new AbortController().signal,
    });
    expect(code).toBe(2);
    expect(stderr.text).toContain('--token is required');
  });
});
