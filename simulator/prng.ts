/**
 * Tiny deterministic randomness for the simulator: a seeded PRNG (mulberry32)
 * and a string hash (FNV-1a) to derive one independent seed per device. Kept
 * in-house so a series is reproducible across Node and Deno and across
 * library upgrades: the same seed must give the same readings forever.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: 32-bit state, good enough statistics for load noise, trivially portable. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over UTF-16 code units; stable and fast, not cryptographic. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The seed of one device: depends on the run's seed and the device id (not its
 * position in the list), so a device keeps its series when others are added.
 */
export function deviceSeed(seed: number, deviceId: string): number {
  return fnv1a(`${seed >>> 0}:${deviceId}`);
}

/** A standard normal draw (Box–Muller); consumes two uniforms. */
export function normal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
