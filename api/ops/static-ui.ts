/**
 * Serves the built dashboard (ui/dist) at `/`: files by path, index.html for
 * every other non-API path (the SPA's routes). Before the UI is built, a
 * small page says how to build it. A malformed path is 400.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import { ApiError } from '../errors.ts';

export const UI_DIST = fileURLToPath(new URL('../../ui/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const PLACEHOLDER = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>EMS</title></head>
<body style="font-family:system-ui;margin:3rem"><h1>EMS is running</h1>
<p>The dashboard is not built yet: run <code>npm run build:ui</code> (or <code>npm start</code>, which builds it).</p>
<p>API reference: <a href="/api/docs">/api/docs</a></p></body></html>`;

export function uiBuilt(dir = UI_DIST): boolean {
  return existsSync(path.join(dir, 'index.html'));
}

export async function serveUi(c: Context, dir = UI_DIST): Promise<Response> {
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(c.req.url).pathname);
  } catch {
    // Bad percent-encoding is the client's mistake: a 400, not a logged 500.
    throw new ApiError('invalid_request', 'Malformed URL (bad percent-encoding)');
  }
  const file = path.join(dir, path.normalize(rel));
  if (!file.startsWith(dir)) return c.text('Not found', 404);
  try {
    if ((await stat(file)).isFile()) {
      const body = await readFile(file);
      const immutable = rel.startsWith('/assets/');
      return c.body(body, 200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
  } catch {
    // fall through to the SPA entry
  }
  if (path.extname(rel) && rel !== '/index.html') return c.text('Not found', 404);
  try {
    return c.html(await readFile(path.join(dir, 'index.html'), 'utf8'), 200, { 'cache-control': 'no-cache' });
  } catch {
    return c.html(PLACEHOLDER);
  }
}
