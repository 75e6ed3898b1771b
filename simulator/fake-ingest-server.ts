/**
 * Test peer: a tiny `node:http` stand-in for the EMS api's ingest endpoints,
 * with scripted misbehaviour (503s, sockets destroyed before or after the
 * batch is stored). It records which (deviceId, timestamp) pairs it stored so
 * tests can assert delivery, not just requests. Not used outside tests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IngestRequest {
  /** 1-based, over all POST /api/readings requests. */
  number: number;
  readings: { deviceId: string; timestamp: string; value: number }[];
  authorization: string | undefined;
}

/**
 * - `accept`: store, answer 202;
 * - `unavailable`: answer 503 without storing;
 * - `drop-before`: destroy the socket without storing;
 * - `drop-after`: store, then destroy the socket (the answer is lost);
 * - `{status, body}`: answer that, without storing.
 */
export type IngestBehaviour =
  | 'accept'
  | 'unavailable'
  | 'drop-before'
  | 'drop-after'
  | { status: number; body: unknown };

export interface FakeIngestServer {
  url: string;
  /** `${deviceId} ${timestamp-as-epoch-ms}` of every stored reading. */
  stored: Set<string>;
  /** Every stored reading in arrival order (duplicates included). */
  log: IngestRequest['readings'];
  requests: IngestRequest[];
  createdDevices: Record<string, unknown>[];
  close(): Promise<void>;
}

export function readingKey(deviceId: string, timestamp: string | number): string {
  return `${deviceId} ${typeof timestamp === 'number' ? timestamp : Date.parse(timestamp)}`;
}

export async function startFakeIngestServer(
  behave: (request: IngestRequest) => IngestBehaviour = () => 'accept',
): Promise<FakeIngestServer> {
  const stored = new Set<string>();
  const log: IngestRequest['readings'] = [];
  const requests: IngestRequest[] = [];
  const createdDevices: Record<string, unknown>[] = [];

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (req.method === 'POST' && req.url === '/api/devices') {
      const device = { id: crypto.randomUUID(), ...body };
      createdDevices.push(device);
      return json(res, 201, device);
    }
    if (req.method !== 'POST' || req.url !== '/api/readings') {
      return json(res, 404, { error: { code: 'not_found', message: 'No such route.' } });
    }
    const request: IngestRequest = {
      number: requests.length + 1,
      readings: body.readings,
      authorization: req.headers.authorization,
    };
    requests.push(request);
    const behaviour = behave(request);
    const store = () => {
      for (const reading of request.readings) {
        stored.add(readingKey(reading.deviceId, reading.timestamp));
        log.push(reading);
      }
    };
    if (behaviour === 'accept') {
      store();
      return json(res, 202, { accepted: request.readings.length });
    }
    if (behaviour === 'unavailable') {
      return json(res, 503, { error: { code: 'unavailable', message: 'Try again shortly.' } });
    }
    if (behaviour === 'drop-before') return req.socket.destroy();
    if (behaviour === 'drop-after') {
      store();
      return req.socket.destroy();
    }
    return json(res, behaviour.status, behaviour.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) =>
      json(res, 500, { error: { code: 'internal', message: String(error) } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stored,
    log,
    requests,
    createdDevices,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
