import { afterEach, describe, expect, it } from 'vitest';
import { startDemoSimulator } from './demo.ts';
import { type FakeIngestServer, startFakeIngestServer } from './fake-ingest-server.ts';

let server: FakeIngestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Polls until `condition` holds; the generous deadline only guards against a hang. */
async function until(condition: () => boolean, deadlineMs = 20_000) {
  const giveUpAt = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('startDemoSimulator', () => {
  it('posts one reading per device every interval, at aligned times, until stopped', async () => {
    server = await startFakeIngestServer();
    const demo = startDemoSimulator({
      url: server.url,
      token: 'admin-token',
      deviceIds: ['d-interval', 'd-register'],
      devices: [
        { id: 'd-interval', meterKind: 'interval', timeZone: 'UTC', maxHourlyKwh: 3 },
        { id: 'd-register', meterKind: 'cumulative', timeZone: 'Europe/Berlin', maxHourlyKwh: 5 },
      ],
      intervalMs: 40,
    });
    await until(() => server!.requests.length >= 4);
    await demo.stop();

    for (const request of server.requests) {
      expect(request.authorization).toBe('Bearer admin-token');
      expect(request.readings.map((r) => r.deviceId)).toEqual(['d-interval', 'd-register']);
      expect(Date.parse(request.readings[0]!.timestamp) % 40).toBe(0);
    }
    const register = server.log.filter((r) => r.deviceId === 'd-register').map((r) => r.value);
    for (let i = 1; i < register.length; i++) expect(register[i]).toBeGreaterThanOrEqual(register[i - 1]!);
    const times = server.requests.map((r) => Date.parse(r.readings[0]!.timestamp));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]!);
  });

  it('reports a refused tick and keeps going', async () => {
    server = await startFakeIngestServer(({ number }) =>
      number === 1
        ? { status: 422, body: { error: { code: 'unprocessable', message: 'Unknown device.' } } }
        : 'accept',
    );
    const errors: string[] = [];
    const demo = startDemoSimulator({
      url: server.url,
      token: 't',
      deviceIds: ['gone'],
      intervalMs: 30,
      onError: (error) => errors.push(error.message),
    });
    await until(() => server!.stored.size >= 2);
    await demo.stop();
    expect(errors[0]).toBe('Unknown device.');
  });
});
