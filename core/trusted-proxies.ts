/**
 * EMS_TRUSTED_PROXIES: the load balancers whose `X-Forwarded-For` is believed.
 * Parsed once by the configuration (cli/config.ts) to refuse a bad entry at
 * start, and by the api's client-address lookup (api/auth/client-address.ts).
 */
import { BlockList, isIP } from 'node:net';

/** Parses comma-separated CIDRs (or single addresses); throws on a malformed entry. */
export function parseTrustedProxies(list: readonly string[]): BlockList {
  const blocks = new BlockList();
  for (const raw of list) {
    const entry = raw.trim();
    if (!entry) continue;
    const [net, bits] = entry.split('/');
    const family = isIP(net ?? '');
    if (family === 0) throw new Error(`not an IP address or CIDR: ${entry}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128))
      throw new Error(`bad prefix length: ${entry}`);
    blocks.addSubnet(net!, prefix, type);
  }
  return blocks;
}
