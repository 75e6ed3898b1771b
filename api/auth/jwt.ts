/**
 * Login tokens: HS256 JWTs signed with JWT_SECRET via jose. Verification pins
 * the algorithm, so `alg: none` and other algorithms are refused.
 */
import { jwtVerify, SignJWT } from 'jose';

export interface JwtClaims {
  sub: string;
  role: 'admin' | 'client';
}

export class JwtService {
  readonly #key: Uint8Array;
  readonly #ttlSeconds: number;

  constructor(secret: string, ttlHours: number) {
    this.#key = new TextEncoder().encode(secret);
    this.#ttlSeconds = Math.round(ttlHours * 3600);
  }

  async sign(claims: JwtClaims): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.#ttlSeconds;
    const token = await new SignJWT({ role: claims.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setIssuer('ems')
      .sign(this.#key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The claims of a valid token, or null for anything else (expired, forged, malformed). */
  async verify(token: string): Promise<(JwtClaims & { exp: number }) | null> {
    try {
      const { payload } = await jwtVerify(token, this.#key, { algorithms: ['HS256'], issuer: 'ems' });
      if (typeof payload.sub !== 'string' || (payload.role !== 'admin' && payload.role !== 'client'))
        return null;
      return { sub: payload.sub, role: payload.role, exp: payload.exp ?? 0 };
    } catch {
      return null;
    }
  }
}
