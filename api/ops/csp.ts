/**
 * Content-Security-Policy for the HTML pages this server renders (the
 * dashboard and the API reference): scripts only from this origin, plus the
 * exact inline scripts of the page itself, allowed by their SHA-256, so a
 * script injected into a page does not run. Styles may be inline (Vue and the
 * reference page set them); connections stay on this origin (REST and the
 * Socket.IO websocket). `frame-ancestors 'none'` stops click-jacking.
 */
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

const INLINE_SCRIPT = /<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi;

export function cspFor(html: string): string {
  const hashes = [...html.matchAll(INLINE_SCRIPT)]
    .map((m) => m[1] ?? '')
    .filter((body) => body.trim().length > 0)
    .map((body) => `'sha256-${createHash('sha256').update(body).digest('base64')}'`);
  return [
    "default-src 'self'",
    `script-src 'self'${hashes.length ? ` ${[...new Set(hashes)].join(' ')}` : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Adds the policy to every HTML response; other responses are left alone. */
export function contentSecurityPolicy(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const type = c.res.headers.get('content-type') ?? '';
    if (!type.startsWith('text/html')) return;
    const html = await c.res.clone().text();
    c.res.headers.set('content-security-policy', cspFor(html));
  };
}
