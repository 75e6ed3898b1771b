-- The support chat: one conversation per client, its id = the client's user id.
-- `seq` gives messages a total order (history pages, "read up to" receipts)
-- that created_at alone cannot, since two messages may share a timestamp.
-- read_at is set when the other side reads a message: admins read the client's
-- messages; the client reads those of admins and of the assistant.
create table chat_messages (
  id uuid primary key,
  seq bigint generated always as identity unique,
  conversation_id uuid not null references users (id) on delete cascade,
  sender_id uuid references users (id) on delete set null,
  sender_role text not null check (sender_role in ('client', 'admin', 'assistant')),
  sender_name text not null,
  body text not null check (char_length(body) between 1 and 4000),
  created_at timestamptz not null default now(),
  read_at timestamptz
);
-- History pages: newest first within a conversation.
create index chat_messages_history_idx on chat_messages (conversation_id, seq desc);
-- Unread counts: only unread rows are indexed, so the index stays small.
create index chat_messages_unread_idx on chat_messages (conversation_id, sender_role) where read_at is null;
