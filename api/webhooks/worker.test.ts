/** Backoff of webhook and e-mail retries: exponential from 5 s, at most an hour apart, jittered. */
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../notify/retry.ts';

describe('backoffMs', () => {
  it('doubles from 5 s and caps at one hour', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((n) => backoffMs(n, mid))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(backoffMs(30, mid)).toBe(3_600_000);
    expect(backoffMs(1, () => 0)).toBe(4_000);
    expect(backoffMs(1, () => 1)).toBe(6_000);
  });

  it('keeps retrying through a day: about 30 attempts before 24 h', () => {
    let t = 0;
    let n = 0;
    while (t < 24 * 3_600_000) t += backoffMs(++n, () => 0.5);
    expect(n).toBeGreaterThan(25);
    expect(n).toBeLessThan(40);
  });
});
