/**
 * REDIS_URL for one Redis or a Redis Cluster (connect.ts): which one it names,
 * the nodes, and what the first entry lends the others.
 */
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { connectRedis, isCluster, parseRedisTarget } from './connect.ts';

describe('parseRedisTarget', () => {
  it('reads one URL as one Redis, unless told it is a cluster seed', () => {
    expect(parseRedisTarget({ url: 'redis://r1:6380' })).toEqual({
      cluster: false,
      nodes: [{ host: 'r1', port: 6380 }],
      options: {},
    });
    expect(parseRedisTarget({ url: 'redis://r1', cluster: true })).toMatchObject({
      cluster: true,
      nodes: [{ host: 'r1', port: 6379 }],
    });
  });

  it('reads a comma-separated list as a cluster; entries without a scheme borrow the first one', () => {
    expect(parseRedisTarget({ url: 'rediss://app:s%40cret@r1:7000, r2:7001,rediss://r3:7002' })).toEqual({
      cluster: true,
      nodes: [
        { host: 'r1', port: 7000 },
        { host: 'r2', port: 7001 },
        { host: 'r3', port: 7002 },
      ],
      options: { username: 'app', password: 's@cret', tls: {} },
    });
  });

  it('refuses what names no Redis node', () => {
    expect(() => parseRedisTarget({ url: ' , ' })).toThrow(/no node/);
    expect(() => parseRedisTarget({ url: 'http://r1:6379' })).toThrow(/redis:\/\//);
    expect(() => parseRedisTarget({ url: 'redis://r1:7000,rediss://r2:7001' })).toThrow(/one scheme/);
  });
});

describe('connectRedis', () => {
  it('opens a Redis for one URL and a Cluster for a list, without connecting until asked', () => {
    const one = connectRedis({ url: 'redis://127.0.0.1:1' }, { lazyConnect: true });
    const many = connectRedis({ url: 'redis://127.0.0.1:1,127.0.0.1:2' }, { lazyConnect: true });
    try {
      expect(one).toBeInstanceOf(Redis);
      expect(isCluster(one)).toBe(false);
      expect(many).toBeInstanceOf(Cluster);
      expect(isCluster(many)).toBe(true);
      expect(() => connectRedis({ url: 'redis://127.0.0.1:1/2', cluster: true })).toThrow(/database 0/);
    } finally {
      one.disconnect();
      many.disconnect();
    }
  });
});
