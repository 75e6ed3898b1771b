-- Accounts and access (issue 11).
-- login_sessions: one row per login token (its JWT `jti`), so a single token can
-- be signed out, a password change can end every other one, and an admin can
-- end all of a user's sessions; rows past expires_at are dead and swept.
create table login_sessions (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index login_sessions_user_idx on login_sessions (user_id) where revoked_at is null;

-- Device ingest tokens get a name (for lists and rotation) and a last use.
alter table device_tokens add column name text not null default '';
alter table device_tokens add column last_used_at timestamptz;
create index device_tokens_device_idx on device_tokens (device_id);

-- Personal access tokens may be revoked by an admin for a whole user.
create index if not exists api_tokens_active_idx on api_tokens (user_id) where revoked_at is null;

-- The audit log: who did what, from where. actor_username is kept beside
-- actor_id so entries still name a deleted user. Never a password or token.
create table audit (
  id uuid primary key,
  at timestamptz not null default now(),
  actor_id uuid,
  actor_username text,
  action text not null,
  target_type text not null,
  target_id text,
  ip text,
  details jsonb not null default '{}'
);
create index audit_at_idx on audit (at desc, id desc);
create index audit_actor_idx on audit (actor_id, at desc);
create index audit_action_idx on audit (action, at desc);
