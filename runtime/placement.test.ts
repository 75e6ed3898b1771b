import { describe, expect, it } from 'vitest';
import { desiredShards, rendezvousOwner, shardOf, stableHash } from './placement.ts';

const SHARDS = 64;
const ownersOf = (nodes: string[]) =>
  Array.from({ length: SHARDS }, (_, shard) => rendezvousOwner(shard, nodes));

describe('stableHash', () => {
  it('is 32-bit FNV-1a over UTF-8 (published test vectors)', () => {
    expect(stableHash('')).toBe(0x811c9dc5);
    expect(stableHash('a')).toBe(0xe40c292c);
    expect(stableHash('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is two UTF-8 bytes (c3 a9); hashing them by hand must agree.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193);
    expect(stableHash('é')).toBe(h >>> 0);
  });
});

describe('shardOf', () => {
  it('maps a device to the same shard every time, within range', () => {
    const id = '3f2b9c1e-8a4d-4f5e-9b6a-2c7d8e9f0a1b';
    expect(shardOf(id, SHARDS)).toBe(stableHash(id) % SHARDS);
    for (let i = 0; i < 1000; i++) {
      const shard = shardOf(`device-${i}`, SHARDS);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(SHARDS);
    }
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => shardOf('x', 0)).toThrow(RangeError);
  });
});

describe('rendezvous placement', () => {
  it('has no owner without nodes and ignores the order of the node list', () => {
    expect(rendezvousOwner(3, [])).toBeNull();
    expect(ownersOf(['a', 'b', 'c'])).toEqual(ownersOf(['c', 'a', 'b']));
  });

  it('splits 64 shards roughly evenly over 2 and 3 nodes', () => {
    for (const nodes of [
      ['node-a', 'node-b'],
      ['node-a', 'node-b', 'node-c'],
    ]) {
      const counts = nodes.map((n) => desiredShards(n, nodes, SHARDS).length);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(SHARDS);
      const fair = SHARDS / nodes.length;
      for (const count of counts) {
        expect(count).toBeGreaterThan(fair * 0.6);
        expect(count).toBeLessThan(fair * 1.4);
      }
    }
  });

  it('moves only the shards that the joining node takes', () => {
    const before = ownersOf(['node-a', 'node-b']);
    const after = ownersOf(['node-a', 'node-b', 'node-c']);
    let moved = 0;
    for (let shard = 0; shard < SHARDS; shard++) {
      if (before[shard] !== after[shard]) {
        expect(after[shard]).toBe('node-c');
        moved++;
      }
    }
    expect(moved).toBe(desiredShards('node-c', ['node-a', 'node-b', 'node-c'], SHARDS).length);
  });

  it('moves only the shards of the node that leaves', () => {
    const before = ownersOf(['node-a', 'node-b', 'node-c']);
    const after = ownersOf(['node-a', 'node-c']);
    for (let shard = 0; shard < SHARDS; shard++) {
      if (before[shard] !== 'node-b') expect(after[shard]).toBe(before[shard]);
      else expect(after[shard]).not.toBe('node-b');
    }
  });

  it('gives every shard to exactly one node', () => {
    const nodes = ['n1', 'n2', 'n3', 'n4'];
    const all = nodes.flatMap((n) => desiredShards(n, nodes, SHARDS)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: SHARDS }, (_, i) => i));
  });
});
