/**
 * One way to open a Redis connection, for a single server or a Redis Cluster.
 * `REDIS_URL` names one server (`redis://host:6379`), or a cluster by listing
 * several of its nodes separated by commas (`redis://a:7000,redis://b:7001`,
 * or `redis://:secret@a:7000,b:7001`: an entry without a scheme takes the
 * first entry's scheme and credentials). A single entry is a cluster too when
 * `cluster` is true (`EMS_REDIS_CLUSTER=true`): the node is then only the
 * seed from which ioredis learns the others.
 *
 * The options are ioredis's per-connection ones; for a cluster they apply to
 * each node's connection, `retryStrategy` becomes the cluster's reconnect
 * strategy, and the offline queue stays a cluster-wide setting. Every key a
 * multi-key command or script touches must then hash to one slot: see the
 * hash tags in keys.ts.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** A connection to a single Redis or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  /** The REDIS_URL: one URL, or a comma-separated list of a cluster's nodes. */
  url: string;
  /** Treat a single URL as a cluster's seed node. Default: true only when `url` lists several nodes. */
  cluster?: boolean | undefined;
}

interface NodeAddress {
  host: string;
  port: number;
}

export interface ParsedRedisTarget {
  cluster: boolean;
  nodes: NodeAddress[];
  /** What the URLs say beside the address: credentials, TLS, database. */
  options: Pick<RedisOptions, 'username' | 'password' | 'tls' | 'db'>;
}

/** Parses a REDIS_URL (see the module header). Throws on an entry that is no redis:// address. */
export function parseRedisTarget(target: RedisTarget): ParsedRedisTarget {
  const entries = target.url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('REDIS_URL names no node');
  const first = new URL(entries[0]!);
  if (first.protocol !== 'redis:' && first.protocol !== 'rediss:')
    throw new Error('REDIS_URL entries must be redis:// or rediss:// URLs');
  const nodes = entries.map((entry) => {
    const url = entry.includes('://') ? new URL(entry) : new URL(`${first.protocol}//${entry}`);
    if (url.protocol !== first.protocol) throw new Error('REDIS_URL entries must share one scheme');
    if (!url.hostname) throw new Error(`REDIS_URL entry without a host`);
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
  });
  const options: ParsedRedisTarget['options'] = {};
  if (first.username) options.username = decodeURIComponent(first.username);
  if (first.password) options.password = decodeURIComponent(first.password);
  if (first.protocol === 'rediss:') options.tls = {};
  const db = first.pathname.replace(/^\//, '');
  if (db) options.db = Number(db);
  return { cluster: target.cluster === true || nodes.length > 1, nodes, options };
}

/** True when `target` names a Redis Cluster. */
export function isClusterTarget(target: RedisTarget): boolean {
  return parseRedisTarget(target).cluster;
}

/**
 * Opens a connection: a `Redis` for a single server, a `Cluster` otherwise.
 * `clusterOptions` are added for a cluster only.
 */
export function connectRedis(
  target: RedisTarget,
  options: RedisOptions = {},
  clusterOptions: ClusterOptions = {},
): RedisClient {
  const parsed = parseRedisTarget(target);
  // A single server keeps ioredis's own URL parsing (query options and all).
  if (!parsed.cluster) return new Redis(target.url.trim(), options);
  if (parsed.options.db) throw new Error('a Redis Cluster has only database 0');
  const { retryStrategy, enableOfflineQueue, ...perNode } = options;
  return new Cluster(parsed.nodes, {
    redisOptions: { ...parsed.options, ...perNode },
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    slotsRefreshTimeout: options.connectTimeout ?? 2000,
    ...clusterOptions,
  });
}

/** The `Redis | Cluster` check ioredis itself uses. */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** A second connection to the same server or cluster, with the same options (e.g. for subscribing). */
export function duplicateConnection(client: RedisClient, connectionName?: string): RedisClient {
  if (isCluster(client)) {
    const redisOptions = { ...client.options.redisOptions, ...(connectionName ? { connectionName } : {}) };
    return client.duplicate(undefined, { redisOptions });
  }
  return client.duplicate(connectionName ? { connectionName } : undefined);
}

/**
 * Resolves once the subscriptions issued so far on `client` are in place: a
 * PING answered on the connection that carries them (commands on one
 * connection are answered in order). A Cluster subscribes on a connection of
 * its own, reached through ioredis's (untyped) `subscriber`; its PING on the
 * command pool would prove nothing.
 */
export async function subscriptionsInPlace(client: RedisClient): Promise<void> {
  if (!isCluster(client)) {
    await client.ping();
    return;
  }
  const subscriber = (client as unknown as { subscriber?: { getInstance(): Redis | undefined } }).subscriber;
  // The subscriber connection is picked among the nodes once the slots are known.
  for (let attempt = 0; ; attempt++) {
    const instance = subscriber?.getInstance();
    if (instance) {
      await instance.ping();
      return;
    }
    if (attempt >= 200) throw new Error('the Redis Cluster chose no subscriber connection in 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SUBSCRIBE on `sub`; a Cluster refuses one sent before it has chosen its subscriber connection, so it chooses first. */
export async function subscribeTo(sub: RedisClient, ...channels: string[]): Promise<void> {
  if (isCluster(sub)) await subscriptionsInPlace(sub);
  await sub.subscribe(...channels);
}
