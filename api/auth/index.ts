/** Auth routes: sign in with a password (throttled), and who am I. */
import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../context.ts';
import { LoginResponse, User } from '../contract.ts';
import { ApiError } from '../errors.ts';
import { bearer, errors, json, jsonBody, newRouter } from '../router.ts';
import { findByUsernameWithHash, toUser } from '../users/repo.ts';
import { DUMMY_HASH, verifyPassword } from './passwords.ts';
import { requireUser } from './principal.ts';

const LoginBody = z
  .object({ username: z.string().min(1).max(100), password: z.string().min(1).max(1000) })
  .openapi('LoginRequest');

const login = createRoute({
  method: 'post',
  path: '/login',
  tags: ['auth'],
  summary: 'Sign in; returns a JWT',
  request: jsonBody(LoginBody),
  responses: { 200: json(LoginResponse, 'Signed in'), ...errors(400, 401, 429) },
});

const me = createRoute({
  method: 'get',
  path: '/me',
  tags: ['auth'],
  summary: 'The signed-in user',
  security: bearer,
  responses: { 200: json(User, 'The user'), ...errors(401, 403) },
});

export function authRoutes(deps: AppDeps) {
  const app = newRouter();

  app.openapi(login, async (c) => {
    const { username, password } = c.req.valid('json');
    const addr = c.req.header('x-forwarded-for')?.split(',')[0]?.trim() ?? 'local';
    const keys = [`u:${username.toLowerCase()}`, `a:${addr}:${username.toLowerCase()}`];
    const wait = deps.throttle.retryAfterMs(keys);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new ApiError(
        'too_many_requests',
        `Too many failed sign-ins; try again in ${seconds} s`,
        undefined,
        {
          'retry-after': String(seconds),
        },
      );
    }
    const row = await findByUsernameWithHash(deps.sql, username);
    const ok = await verifyPassword(password, row?.passwordHash ?? DUMMY_HASH);
    if (!row || !ok) {
      deps.throttle.fail(keys);
      throw new ApiError('unauthorized', 'Wrong username or password');
    }
    deps.throttle.succeed(keys[0]!);
    const { token, expiresAt } = await deps.jwt.sign({ sub: row.id, role: row.role });
    const { passwordHash: _, ...user } = row;
    return c.json({ token, expiresAt: expiresAt.toISOString(), user: toUser(user) }, 200);
  });

  app.openapi(me, (c) => c.json(toUser(requireUser(c)), 200));

  return app;
}
