-- Users, devices and the two kinds of tokens (personal access tokens and
-- device ingest tokens). Token values are never stored: only their SHA-256.
create table users (
  id uuid primary key,
  username text not null unique,
  name text not null,
  email text,
  role text not null check (role in ('admin', 'client')),
  password_hash text not null,
  created_at timestamptz not null default now()
);

create table devices (
  id uuid primary key,
  name text not null,
  description text not null default '',
  address text not null default '',
  max_hourly_kwh double precision not null check (max_hourly_kwh > 0),
  meter_kind text not null check (meter_kind in ('interval', 'cumulative')),
  time_zone text not null,
  owner_id uuid references users (id) on delete set null,
  created_at timestamptz not null default now()
);
create index devices_owner_idx on devices (owner_id);

create table api_tokens (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  name text not null,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz
);
create index api_tokens_user_idx on api_tokens (user_id);

create table device_tokens (
  id uuid primary key,
  device_id uuid not null references devices (id) on delete cascade,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
