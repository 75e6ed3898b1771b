/**
 * Login tokens: HS256 JWTs signed with JWT_SECRET via jose. Verification pins
 * the algorithm, so `alg: none` and other algorithms are refused. Each token
 * names its login session (`jti`, see sessions.ts): a valid signature alone
 * is not enough, the session must still be open.
 */
import { jwtVerify, SignJWT } from 'jose';

export interface JwtClaims {
  sub: string;
  role: 'admin' | 'client';
  /** The login session (login_sessions.id). */
  jti?: string | undefined;
}

export class JwtService {
  readonly #key: Uint8Array;
  readonly #ttlSeconds: number;

  constructor(secret: string, ttlHours: number) {
    this.#key = new TextEncoder().encode(secret);
    this.#ttlSeconds = Math.round(ttlHours * 3600);
  }

  /** When a token signed now expires. */
  expiry(): Date {
    return new Date((Math.floor(Date.now() / 1000) + this.#ttlSeconds) * 1000);
  }

  async sign(claims: JwtClaims, expiresAt = this.expiry()): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const exp = Math.floor(expiresAt.getTime() / 1000);
    const jwt = new SignJWT({ role: claims.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setIssuer('ems');
    if (claims.jti) jwt.setJti(claims.jti);
    const token = await jwt.sign(this.#key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The claims of a valid token, or null for anything else (expired, forged, malformed). */
  async verify(token: string): Promise<(JwtClaims & { exp: number }) | null> {
    try {
      const { payload } = await jwtVerify(token, this.#key, { algorithms: ['HS256'], issuer: 'ems' });
      if (typeof payload.sub !== 'string' || (payload.role !== 'admin' && payload.role !== 'client'))
        return null;
      const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
      return { sub: payload.sub, role: payload.role, jti, exp: payload.exp ?? 0 };
    } catch {
      return null;
    }
  }
}
