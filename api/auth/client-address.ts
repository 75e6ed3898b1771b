/**
 * The client's address, for login throttling and the audit log. It is the
 * socket's peer address; only when that peer is one of EMS_TRUSTED_PROXIES is
 * `X-Forwarded-For` read, right to left, skipping trusted hops: the first
 * untrusted entry is the one our own proxy appended, so a client cannot choose
 * its address by sending the header itself.
 */
import { type BlockList, isIP } from 'node:net';
import type { Context } from 'hono';
import { parseTrustedProxies } from '../../core/trusted-proxies.ts';

export const UNKNOWN_ADDRESS = 'unknown';

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`. */
function normalise(address: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return v4 ? v4[1]! : address;
}

function trusted(blocks: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && blocks.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const cache = new WeakMap<readonly string[], BlockList>();

export function clientAddress(c: Context, trustedProxies: readonly string[] | undefined): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const peer = env?.incoming?.socket?.remoteAddress;
  if (!peer) return UNKNOWN_ADDRESS;
  let address = normalise(peer);
  if (!trustedProxies || trustedProxies.length === 0) return address;
  let blocks = cache.get(trustedProxies);
  if (!blocks) {
    blocks = parseTrustedProxies(trustedProxies);
    cache.set(trustedProxies, blocks);
  }
  if (!trusted(blocks, address)) return address;
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => normalise(h.trim()))
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) break; // garbage left of our proxy's entry: keep the last good hop
    address = hop;
    if (!trusted(blocks, hop)) break;
  }
  return address;
}
