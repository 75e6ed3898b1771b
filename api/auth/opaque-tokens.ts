/**
 * Opaque bearer tokens — personal access tokens (`ems_pat_…`) and device
 * ingest tokens (`ems_dev_…`). 32 random bytes; only the SHA-256 is stored,
 * so a database leak does not leak usable tokens.
 */
import { createHash, randomBytes } from 'node:crypto';

export const PAT_PREFIX = 'ems_pat_';
export const DEVICE_TOKEN_PREFIX = 'ems_dev_';

export function newOpaqueToken(prefix: string): { token: string; hash: string } {
  const token = prefix + randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
