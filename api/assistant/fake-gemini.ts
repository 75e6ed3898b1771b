/**
 * Test support: a local stand-in for the Gemini API so the real
 * `@google/genai` SDK can be exercised without the internet. It implements
 * `POST /v1beta/models/{model}:generateContent`, records every request, and
 * answers from a script: a text, a function call, an HTTP error, or no answer
 * at all (to prove the caller's deadline).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  path: string;
  apiKey: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: the request body is free-form Gemini JSON
  body: any;
}

export type FakeAnswer =
  | { text: string }
  | { functionCall: { name: string; args: Record<string, unknown> } }
  | { status: number }
  | 'hang';

export interface FakeGemini {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Decides the answer to each request (given it and the number of earlier ones). */
  script(answer: (request: RecordedRequest, index: number) => FakeAnswer): void;
  close(): Promise<void>;
}

const PATH_RE = /^\/v1beta\/models\/([^/:]+):generateContent$/;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function candidate(parts: unknown[]) {
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: 'fake',
  };
}

export async function startFakeGemini(): Promise<FakeGemini> {
  const requests: RecordedRequest[] = [];
  let answer: (request: RecordedRequest, index: number) => FakeAnswer = () => ({
    text: 'Hello from the fake.',
  });
  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    if (req.method !== 'POST' || !PATH_RE.test(req.url?.split('?')[0] ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 404, message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    const recorded: RecordedRequest = {
      path: req.url!,
      apiKey: req.headers['x-goog-api-key'] as string | undefined,
      body: raw ? JSON.parse(raw) : null,
    };
    requests.push(recorded);
    const a = answer(recorded, requests.length - 1);
    if (a === 'hang') return; // never answers; the client's deadline must fire
    if ('status' in a) {
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: a.status, message: 'fake failure', status: 'INTERNAL' } }));
      return;
    }
    const parts = 'text' in a ? [{ text: a.text }] : [{ functionCall: a.functionCall }];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(candidate(parts)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script(fn) {
      answer = fn;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
