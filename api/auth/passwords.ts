/**
 * Password hashing with scrypt (memory-hard; node:crypto, so it also runs on
 * Deno). Stored as `scrypt$N$r$p$salt$hash`, so the cost can be raised later:
 * a hash made with a lower N still verifies and is re-hashed at the next
 * successful login (`needsRehash`). Every hash runs through one per-process
 * gate (hash-gate.ts), so a spray of logins cannot take all the CPU and memory.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { hashGate } from './hash-gate.ts';

/** OWASP's scrypt minimum: N = 2^17, r = 8, p = 1 (128 MiB per hash). */
export const DEFAULT_LOG2_N = 17;
let log2N = DEFAULT_LOG2_N;
const R = 8;
const P = 1;
const KEYLEN = 32;

/**
 * Lowers (or raises) the cost of new hashes. For test suites only, where
 * hundreds of users are created: production keeps the default.
 */
export function setPasswordCost(log2: number): void {
  log2N = log2;
  dummy = undefined;
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return hashGate.run(
    () =>
      new Promise((resolve, reject) => {
        scrypt(password, salt, KEYLEN, { N: n, r, p, maxmem: 256 * n * r }, (err, key) =>
          err ? reject(err) : resolve(key),
        );
      }),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const n = 2 ** log2N;
  const key = await derive(password, salt, n, R, P);
  return `scrypt$${n}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** True when `stored` was made with weaker parameters than new hashes get. */
export function needsRehash(stored: string): boolean {
  const [scheme, n, r, p] = stored.split('$');
  return scheme !== 'scrypt' || Number(n) < 2 ** log2N || Number(r) < R || Number(p) < P;
}

let dummy: Promise<string> | undefined;
/**
 * A hash to verify against when the user does not exist, so timing does not
 * reveal usernames; made at the current cost so both paths take as long.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(12).toString('hex'));
  return dummy;
}
