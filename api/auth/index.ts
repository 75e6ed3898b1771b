/**
 * Auth routes: sign in (throttled before the password is checked), sign out,
 * change one's own password, and who am I. Sign-in outcomes are audited with
 * the client address; a password never is.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { sessionRoom } from '../../core/rooms.ts';
import { recordAudit } from '../audit/repo.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { LoginResponse, User } from '../contract.ts';
import { ApiError } from '../errors.ts';
import { excludingDeadline } from '../ops/request-deadline.ts';
import { errors, json, jsonBody, newRouter, routeBuilder } from '../router.ts';
import {
  findByUsernameWithHash,
  findHashById,
  setPasswordHash,
  toUser,
  updateProfile,
} from '../users/repo.ts';
import { announceAccessChange } from './access-changes.ts';
import { clientAddress } from './client-address.ts';
import { assertPasswordPolicy } from './password-policy.ts';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { requirePrincipal, requireUser } from './principal.ts';
import { endLoginSessions, endSession, issueLoginToken, type SessionHooks } from './sessions.ts';

const LoginBody = z
  .object({ username: z.string().min(1).max(100), password: z.string().min(1).max(1000) })
  .openapi('LoginRequest');
const PasswordBody = z
  .object({ currentPassword: z.string().min(1).max(1000), newPassword: z.string().max(1000) })
  .strict()
  .openapi('ChangePassword');
const ProfileBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    email: z.email().max(320).nullable(),
    notifyByEmail: z.boolean(),
  })
  .partial()
  .strict()
  .openapi('UpdateProfile');

const route = routeBuilder(['auth']);
const routes = {
  login: route(
    'post',
    '/login',
    'Sign in; returns a JWT',
    {
      request: jsonBody(LoginBody),
      responses: { 200: json(LoginResponse, 'Signed in'), ...errors(400, 401, 429, 503) },
    },
    { public: true },
  ),
  me: route('get', '/me', 'The signed-in user', {
    responses: { 200: json(User, 'The user'), ...errors(401, 403) },
  }),
  updateMe: route('patch', '/me', 'Change my name, e-mail or alert e-mails (notifyByEmail)', {
    request: jsonBody(ProfileBody),
    responses: { 200: json(User, 'The user'), ...errors(400, 401, 403) },
  }),
  logout: route('post', '/logout', 'Sign out: this login token is refused from now on, on every node', {
    responses: { 204: { description: 'Signed out' }, ...errors(401, 403) },
  }),
  password: route('post', '/password', 'Change my password; every other login session ends', {
    request: jsonBody(PasswordBody),
    responses: { 204: { description: 'Changed' }, ...errors(400, 401, 403, 429, 503) },
  }),
};

function tooMany(waitMs: number): ApiError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new ApiError('too_many_requests', `Too many failed attempts; try again in ${seconds} s`, undefined, {
    'retry-after': String(seconds),
  });
}

/** Who did it and from where, in the audit entry of a user acting on their own session or account. */
const ownAudit = (user: { id: string; username: string }, ip: string | null) => ({
  actor: { id: user.id, username: user.username },
  ip,
});

export function authRoutes(deps: AppDeps, hooks: SessionHooks = {}) {
  const app = newRouter();
  const { sql } = deps;
  const addressOf = (c: Context<AppEnv>) => clientAddress(c, deps.trustedProxies);

  app.openapi(routes.login, async (c) => {
    const { username, password } = c.req.valid('json');
    const ip = addressOf(c);
    // Reserve the attempt first: parallel guesses cannot all pass the check before any is counted.
    const wait = await deps.throttle.reserve(username, ip);
    if (wait > 0) throw tooMany(wait);
    const row = await findByUsernameWithHash(sql, username);
    // Hashing is our CPU, not a dependency: it does not count against the request deadline.
    const ok = await excludingDeadline(c, async () =>
      verifyPassword(password, row?.passwordHash ?? (await dummyHash())),
    );
    if (!row || !ok) {
      // The attempted name is kept only when it is a real account: a password typed into the
      // username field must not end up in the log.
      await recordAudit(sql, {
        actor: null,
        action: 'auth.login_failed',
        targetType: 'user',
        targetId: row?.id ?? null,
        ip,
        details: row ? { username: row.username } : { unknownUser: true },
      });
      throw new ApiError('unauthorized', 'Wrong username or password');
    }
    await deps.throttle.succeeded(username, ip);
    if (needsRehash(row.passwordHash)) {
      // Older, cheaper hashes are upgraded while the password is at hand.
      await setPasswordHash(sql, row.id, await excludingDeadline(c, () => hashPassword(password)));
    }
    const { passwordHash: _, ...user } = row;
    const issued = await sql.begin(async (tx) => {
      const s = await issueLoginToken({ sql: tx, jwt: deps.jwt }, user);
      await recordAudit(tx, {
        ...ownAudit(user, ip),
        action: 'auth.login',
        targetType: 'session',
        targetId: s.sessionId,
      });
      return s;
    });
    return c.json(
      { token: issued.token, expiresAt: issued.expiresAt.toISOString(), user: toUser(user) },
      200,
    );
  });

  app.openapi(routes.me, (c) => c.json(toUser(requireUser(c)), 200));

  app.openapi(routes.updateMe, async (c) => {
    const me = requireUser(c);
    const row = await updateProfile(sql, me.id, c.req.valid('json'));
    if (!row) throw new ApiError('unauthorized', 'The user no longer exists');
    // GET /api/me on every node shows the new profile (cached principals carry the user row).
    await announceAccessChange(deps, { users: [me.id] });
    return c.json(toUser(row), 200);
  });

  app.openapi(routes.logout, async (c) => {
    const principal = requirePrincipal(c);
    const me = requireUser(c);
    if (principal.kind !== 'user' || !principal.sessionId)
      throw new ApiError('forbidden', 'Only a login token signs out; revoke a personal access token instead');
    const sessionId = principal.sessionId;
    await sql.begin(async (tx) => {
      await endSession(tx, sessionId);
      await recordAudit(tx, {
        ...ownAudit(me, addressOf(c)),
        action: 'auth.logout',
        targetType: 'session',
        targetId: sessionId,
      });
    });
    await announceAccessChange(deps, { sessions: [sessionId] });
    hooks.endSockets?.([sessionRoom(sessionId)]);
    return c.body(null, 204);
  });

  app.openapi(routes.password, async (c) => {
    const principal = requirePrincipal(c);
    const me = requireUser(c);
    const { currentPassword, newPassword } = c.req.valid('json');
    assertPasswordPolicy(newPassword, me.username, 'newPassword');
    const ip = addressOf(c);
    // Guessing the current password with a stolen token is throttled like a sign-in.
    const wait = await deps.throttle.reserve(me.username, ip);
    if (wait > 0) throw tooMany(wait);
    const stored = await findHashById(sql, me.id);
    if (!stored || !(await excludingDeadline(c, () => verifyPassword(currentPassword, stored))))
      throw new ApiError('forbidden', 'The current password is wrong');
    await deps.throttle.succeeded(me.username, ip);
    const hash = await excludingDeadline(c, () => hashPassword(newPassword));
    const keep = principal.kind === 'user' ? principal.sessionId : undefined;
    const rooms = await sql.begin(async (tx) => {
      await setPasswordHash(tx, me.id, hash);
      const ended = await endLoginSessions(tx, me.id, keep);
      await recordAudit(tx, {
        ...ownAudit(me, ip),
        action: 'auth.password_change',
        targetType: 'user',
        targetId: me.id,
        details: { sessionsEnded: ended.length },
      });
      return ended;
    });
    await announceAccessChange(deps, { users: [me.id] });
    if (rooms.length > 0) hooks.endSockets?.(rooms);
    return c.body(null, 204);
  });

  return app;
}
