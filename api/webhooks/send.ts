/**
 * One webhook attempt: POST the signed body, 10 s for the whole exchange,
 * redirects never followed (a 3xx is a failure, so a public URL cannot bounce
 * the request inside), the target checked by the SSRF guard both before and
 * at connect time. Never throws: the outcome says what happened.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { assertPublicTarget, ForbiddenTarget, guardedLookup } from './ssrf.ts';

export const WEBHOOK_TIMEOUT_MS = 10_000;

export type Outcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status: number | null; error: string }
  | { kind: 'forbidden'; error: string };

export async function sendWebhook(
  target: string,
  headers: Record<string, string>,
  body: string,
  opts: { allowPrivate: boolean; timeoutMs?: number },
): Promise<Outcome> {
  let url: URL;
  try {
    url = new URL(target);
    await assertPublicTarget(url, opts.allowPrivate);
  } catch (err) {
    return { kind: 'forbidden', error: (err as Error).message };
  }
  const lib = url.protocol === 'https:' ? https : http;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise<Outcome>((resolve) => {
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'EMS-Webhooks/1',
        },
        // IP literals skip the lookup: assertPublicTarget checked them above.
        ...(opts.allowPrivate || isIP(host) ? {} : { lookup: guardedLookup as never }),
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          resolve(
            status >= 200 && status < 300
              ? { kind: 'delivered', status }
              : { kind: 'retry', status, error: `HTTP ${status}` },
          );
        });
        res.on('error', (err) => finish(err));
      },
    );
    const finish = (err: Error) => {
      clearTimeout(timer);
      resolve(
        err instanceof ForbiddenTarget
          ? { kind: 'forbidden', error: err.message }
          : { kind: 'retry', status: null, error: err.message },
      );
    };
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS} ms`));
    }, opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS);
    req.on('error', finish);
    req.end(body);
  });
}
