import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parseTrustedProxies } from '../../core/trusted-proxies.ts';
import { clientAddress } from './client-address.ts';

/** What clientAddress answers for a request from `peer` with `xff`. */
async function addressOf(peer: string | undefined, xff: string | undefined, trusted: string[]) {
  const app = new Hono();
  app.get('/', (c) => c.text(clientAddress(c, trusted)));
  const headers: Record<string, string> = xff ? { 'x-forwarded-for': xff } : {};
  const env = peer ? { incoming: { socket: { remoteAddress: peer } } } : undefined;
  return (await app.request('/', { headers }, env)).text();
}

describe('clientAddress', () => {
  it('is the socket peer, whatever X-Forwarded-For says, when no proxy is trusted', async () => {
    expect(await addressOf('192.0.2.1', '203.0.113.9', [])).toBe('192.0.2.1');
    expect(await addressOf('::ffff:192.0.2.1', undefined, [])).toBe('192.0.2.1');
    expect(await addressOf(undefined, '203.0.113.9', [])).toBe('unknown');
  });

  it('behind trusted proxies: the right-most untrusted hop; garbage or all-trusted stop at the last good hop', async () => {
    const trusted = ['10.0.0.0/8', 'fd00::/8'];
    expect(await addressOf('10.0.0.1', '198.51.100.1, 203.0.113.9, 10.0.0.2', trusted)).toBe('203.0.113.9');
    expect(await addressOf('fd00::1', '2001:db8::7', trusted)).toBe('2001:db8::7');
    expect(await addressOf('10.0.0.1', 'not-an-ip, 10.0.0.3', trusted)).toBe('10.0.0.3');
    expect(await addressOf('10.0.0.1', undefined, trusted)).toBe('10.0.0.1');
    expect(await addressOf('192.0.2.5', '203.0.113.9', trusted)).toBe('192.0.2.5');
  });

  it('parses CIDRs and single addresses, refusing anything else', () => {
    expect(() => parseTrustedProxies(['10.0.0.0/8', '192.0.2.7', '::1', 'fd00::/8'])).not.toThrow();
    for (const bad of ['10.0.0.0/33', 'proxy.local', '10.0.0/8', 'fd00::/129'])
      expect(() => parseTrustedProxies([bad]), bad).toThrow();
  });
});
