/**
 * Shard placement: which shard a device belongs to, and which runtime node
 * should own a shard. Every api node, runtime node and the simulator must
 * agree on both without talking to each other, so these are pure functions of
 * their inputs: a stable 32-bit FNV-1a hash for device → shard, and
 * rendezvous (highest-random-weight) hashing for shard → node, which moves only
 * the shards of a node that joins or leaves.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/** 32-bit FNV-1a over the UTF-8 bytes of `s`, as an unsigned integer. */
export function stableHash(s: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of utf8.encode(s)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** The shard (0 ≤ shard < shards) that owns `deviceId`. */
export function shardOf(deviceId: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer`);
  return stableHash(deviceId) % shards;
}

/**
 * Murmur3's finaliser. FNV-1a of strings that differ only in a trailing
 * shard number is poorly spread, so rendezvous weights are mixed through this
 * avalanche step to keep the shard split between nodes even.
 */
function mix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function rendezvousWeight(shard: number, nodeHash: number): number {
  return mix32(nodeHash ^ mix32(Math.imul(shard + 1, 0x9e3779b1)));
}

/**
 * The node with the highest weight for `shard`, or null when there are no
 * nodes. Ties (astronomically rare) go to the smaller node id so the answer
 * never depends on the order of `nodes`.
 */
export function rendezvousOwner(shard: number, nodes: readonly string[]): string | null {
  let owner: string | null = null;
  let best = -1;
  for (const node of nodes) {
    const weight = rendezvousWeight(shard, stableHash(node));
    if (weight > best || (weight === best && owner !== null && node < owner)) {
      best = weight;
      owner = node;
    }
  }
  return owner;
}

/** The shards, ascending, that `nodeId` should own when `nodes` are the live nodes. */
export function desiredShards(nodeId: string, nodes: readonly string[], shards: number): number[] {
  const desired: number[] = [];
  for (let shard = 0; shard < shards; shard++) {
    if (rendezvousOwner(shard, nodes) === nodeId) desired.push(shard);
  }
  return desired;
}
