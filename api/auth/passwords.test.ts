import { describe, expect, it } from 'vitest';
import { HashGate } from './hash-gate.ts';
import { passwordProblem } from './password-policy.ts';
import { DEFAULT_LOG2_N, hashPassword, needsRehash, setPasswordCost, verifyPassword } from './passwords.ts';

describe('password hashing', () => {
  it('hashes at N = 2^17 by default; an older 2^15 hash verifies and asks to be re-hashed', async () => {
    expect(DEFAULT_LOG2_N).toBe(17);
    setPasswordCost(15);
    const old = await hashPassword('correct horse');
    setPasswordCost(DEFAULT_LOG2_N);
    try {
      expect(old.split('$')[1]).toBe(String(2 ** 15));
      expect(await verifyPassword('correct horse', old)).toBe(true);
      expect(needsRehash(old)).toBe(true);
      const fresh = await hashPassword('correct horse');
      expect(fresh.split('$')[1]).toBe(String(2 ** 17));
      expect(needsRehash(fresh)).toBe(false);
      expect(await verifyPassword('correct horse', fresh)).toBe(true);
      expect(await verifyPassword('wrong horse', fresh)).toBe(false);
    } finally {
      setPasswordCost(14);
    }
  });

  it('policy: 8–200 characters, not the username', () => {
    expect(passwordProblem('1234567', 'ada')).toMatch(/at least 8/);
    expect(passwordProblem('x'.repeat(201), 'ada')).toMatch(/at most 200/);
    expect(passwordProblem('Ada-Lovelace', 'ada-lovelace')).toMatch(/username/);
    expect(passwordProblem('a-fine-password', 'ada')).toBeNull();
  });

  it('the hash gate runs at most `concurrency` at once and refuses beyond its queue with 503', async () => {
    const gate = new HashGate(2, 1);
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const job = () =>
      gate.run(async () => {
        peak = Math.max(peak, ++running);
        await new Promise<void>((r) => releases.push(r));
        running--;
      });
    const jobs = [job(), job(), job()];
    await expect(job()).rejects.toMatchObject({ code: 'unavailable', headers: { 'retry-after': '1' } });
    while (releases.length < 2) await new Promise((r) => setTimeout(r, 1));
    releases.shift()!();
    while (releases.length < 2) await new Promise((r) => setTimeout(r, 1));
    for (const r of releases.splice(0)) r();
    await Promise.all(jobs);
    expect(peak).toBe(2);
  });
});
