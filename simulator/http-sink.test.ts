import { afterEach, describe, expect, it } from 'vitest';
import { deliver } from './deliver.ts';
import { type FakeIngestServer, readingKey, startFakeIngestServer } from './fake-ingest-server.ts';
import { HttpSink } from './http-sink.ts';
import { makePacing, type SimReading } from './schedule.ts';
import { SinkRejectedError } from './sink.ts';

const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5 };
let server: FakeIngestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function readingsFor(devices: number, perDevice: number): SimReading[] {
  const out: SimReading[] = [];
  for (let step = 0; step < perDevice; step++) {
    for (let d = 0; d < devices; d++) {
      out.push({
        deviceId: `dev-${d}`,
        at: Date.parse('2026-03-10T00:00:00Z') + step * 600_000,
        value: step,
      });
    }
  }
  return out;
}

describe('HttpSink', () => {
  it('delivers every reading although the server answers 503 and drops connections before and after storing', async () => {
    server = await startFakeIngestServer(({ number }) => {
      if (number % 3 === 1) return 'unavailable';
      if (number % 5 === 0) return 'drop-before';
      if (number % 7 === 0) return 'drop-after';
      return 'accept';
    });
    const retries: string[] = [];
    const sink = new HttpSink({
      url: server.url,
      token: 'admin-token',
      retry: FAST_RETRY,
      onRetry: (event) => retries.push(event.reason),
    });
    const readings = readingsFor(20, 30);
    const result = await deliver(readings, {
      sink,
      pacing: makePacing({ mode: 'max' }),
      batchSize: 50,
      concurrency: 4,
    });

    expect(result.outcome).toBe('done');
    expect(result.stats.delivered).toBe(600);
    expect(server.stored).toEqual(new Set(readings.map((r) => readingKey(r.deviceId, r.at))));
    expect(retries.some((reason) => reason.startsWith('503'))).toBe(true);
    expect(retries.some((reason) => reason.startsWith('network'))).toBe(true);
    expect(server.requests.every((r) => r.authorization === 'Bearer admin-token')).toBe(true);
    expect(server.requests.every((r) => r.readings.length <= 50)).toBe(true);
  });

  it('keeps each device in order: a reading never arrives before an earlier one of the same device', async () => {
    server = await startFakeIngestServer(({ number }) => (number % 4 === 2 ? 'drop-after' : 'accept'));
    const sink = new HttpSink({ url: server.url, token: 't', retry: FAST_RETRY });
    await deliver(readingsFor(6, 40), {
      sink,
      pacing: makePacing({ mode: 'max' }),
      batchSize: 16,
      concurrency: 3,
    });
    const latest = new Map<string, number>();
    const arrived = new Set<string>();
    let backwards = 0;
    for (const { deviceId, timestamp } of server.log) {
      const at = Date.parse(timestamp);
      const key = readingKey(deviceId, at);
      if (at > (latest.get(deviceId) ?? -Infinity)) latest.set(deviceId, at);
      else {
        // Going back in time is only allowed for a resend of something that already arrived.
        expect(arrived.has(key)).toBe(true);
        backwards++;
      }
      arrived.add(key);
    }
    expect(latest.size).toBe(6);
    expect(backwards).toBeGreaterThan(0); // the scenario really exercised resends
  });

  it('does not retry a 400: it rejects with the server message and details', async () => {
    server = await startFakeIngestServer(() => ({
      status: 400,
      body: {
        error: {
          code: 'invalid_request',
          message: 'Some readings are invalid.',
          details: [{ path: 'readings.0.value', message: 'must be ≥ 0' }],
        },
      },
    }));
    const sink = new HttpSink({ url: server.url, token: 't', retry: FAST_RETRY });
    const error = await sink
      .send([{ deviceId: 'd', timestamp: '2026-03-10T00:00:00.000Z', value: -1 }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkRejectedError);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid_request',
      message: 'Some readings are invalid.',
      details: [{ path: 'readings.0.value', message: 'must be ≥ 0' }],
    });
    expect(server.requests).toHaveLength(1);
  });

  it.each([401, 403, 422])('does not retry a %i', async (status) => {
    server = await startFakeIngestServer(() => ({
      status,
      body: { error: { code: 'x', message: `refused ${status}` } },
    }));
    const sink = new HttpSink({ url: server.url, token: 't', retry: FAST_RETRY });
    await expect(sink.send([{ deviceId: 'd', timestamp: '2026-03-10T00:00:00Z', value: 1 }])).rejects.toThrow(
      `refused ${status}`,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('retries 429 and answers with the accepted count once through', async () => {
    server = await startFakeIngestServer(({ number }) =>
      number === 1
        ? { status: 429, body: { error: { code: 'too_many_requests', message: 'slow down' } } }
        : 'accept',
    );
    const sink = new HttpSink({ url: server.url, token: 't', retry: FAST_RETRY });
    const ack = await sink.send([
      { deviceId: 'd', timestamp: '2026-03-10T00:00:00Z', value: 1 },
      { deviceId: 'd', timestamp: '2026-03-10T00:10:00Z', value: 2 },
    ]);
    expect(ack).toEqual({ accepted: 2 });
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after maxAttempts when told to, and stops waiting when aborted', async () => {
    server = await startFakeIngestServer(() => 'unavailable');
    const limited = new HttpSink({ url: server.url, token: 't', retry: { ...FAST_RETRY, maxAttempts: 3 } });
    await expect(
      limited.send([{ deviceId: 'd', timestamp: '2026-03-10T00:00:00Z', value: 1 }]),
    ).rejects.toThrow('gave up after 3 attempts (last: 503 unavailable)');
    expect(server.requests).toHaveLength(3);

    const controller = new AbortController();
    const patient = new HttpSink({
      url: server.url,
      token: 't',
      retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
      random: () => 1,
      onRetry: () => controller.abort(),
    });
    const error = await patient
      .send([{ deviceId: 'd', timestamp: '2026-03-10T00:00:00Z', value: 1 }], controller.signal)
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
  });
});
