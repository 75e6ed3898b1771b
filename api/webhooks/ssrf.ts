/**
 * The SSRF guard for webhook targets: a URL is refused when its host is, or
 * resolves to, a loopback, private, link-local (cloud metadata), unspecified,
 * CGNAT or multicast address, unless EMS_WEBHOOK_ALLOW_PRIVATE. Checked at
 * creation (400) and again at delivery through the socket's own DNS lookup
 * (`guardedLookup`), so a name re-pointed after creation (DNS rebinding)
 * cannot reach the inside either.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, bits, 'ipv6');

/** True when the address is one a webhook may not reach (IPv4-mapped IPv6 checked as IPv4). */
export function isForbiddenAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class ForbiddenTarget extends Error {}

/** The URL's host without IPv6 brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** Resolves the URL's host; throws ForbiddenTarget naming why when it may not be called. */
export async function assertPublicTarget(url: URL, allowPrivate: boolean): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ForbiddenTarget('must be an http(s) URL');
  if (allowPrivate) return;
  const host = hostOf(url);
  const addresses = isIP(host)
    ? [host]
    : await new Promise<string[]>((resolve, reject) =>
        dnsLookup(host, { all: true }, (err, list) =>
          err ? reject(err) : resolve(list.map((a) => a.address)),
        ),
      ).catch(() => {
        throw new ForbiddenTarget(`host ${host} does not resolve`);
      });
  const bad = addresses.find(isForbiddenAddress);
  if (bad) throw new ForbiddenTarget(`host ${host} resolves to a private or loopback address (${bad})`);
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for http.request that refuses forbidden addresses at connect time. */
export function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true }, (err, list) => {
    if (err) return callback(err, []);
    const bad = list.find((a) => isForbiddenAddress(a.address));
    if (bad) return callback(new ForbiddenTarget(`${hostname} resolves to ${bad.address}`), []);
    if (options.all) return callback(null, list);
    const first = list[0]!;
    callback(null, first.address, first.family);
  });
}
