/**
 * Chat messages in Postgres. Messages are ordered by `seq` (never by time
 * alone); "unread" always means unread by the other side of the conversation:
 * for administrators the client's messages, for the client those of
 * administrators and of the assistant.
 */

import type { Sql } from '../../db/connect.ts';
import type { ChatMessage, ChatRole, Conversation } from '../contract.ts';

export interface MessageRow {
  id: string;
  seq: number;
  conversationId: string;
  senderId: string | null;
  senderRole: ChatRole;
  senderName: string;
  body: string;
  createdAt: Date;
  readAt: Date | null;
}

const COLUMNS = `id, seq, conversation_id as "conversationId", sender_id as "senderId",
  sender_role as "senderRole", sender_name as "senderName", body, created_at as "createdAt",
  read_at as "readAt"`;

export const toChatMessage = (r: MessageRow): ChatMessage => ({
  id: r.id,
  conversationId: r.conversationId,
  sender: { id: r.senderId, role: r.senderRole, name: r.senderName },
  body: r.body,
  createdAt: r.createdAt.toISOString(),
  readAt: r.readAt?.toISOString() ?? null,
});

/** The roles whose messages `reader` has to read. */
export const rolesReadBy = (reader: 'admin' | 'client'): ChatRole[] =>
  reader === 'admin' ? ['client'] : ['admin', 'assistant'];

export interface NewMessage {
  id: string;
  conversationId: string;
  senderId: string | null;
  senderRole: ChatRole;
  senderName: string;
  body: string;
}

export async function insertMessage(sql: Sql, m: NewMessage): Promise<MessageRow> {
  const rows = await sql.unsafe<MessageRow[]>(
    `insert into chat_messages (id, conversation_id, sender_id, sender_role, sender_name, body)
     values ($1, $2, $3, $4, $5, $6) returning ${COLUMNS}`,
    [m.id, m.conversationId, m.senderId, m.senderRole, m.senderName, m.body],
  );
  return rows[0]!;
}

export async function findMessage(sql: Sql, conversationId: string, id: string): Promise<MessageRow | null> {
  const rows = await sql.unsafe<MessageRow[]>(
    `select ${COLUMNS} from chat_messages where conversation_id = $1 and id = $2`,
    [conversationId, id],
  );
  return rows[0] ?? null;
}

export interface HistoryQuery {
  limit: number;
  /** Only messages before this one (by order) … */
  beforeSeq?: number | undefined;
  /** … or created strictly before this instant. */
  beforeTime?: Date | undefined;
}

/** The newest `limit` messages matching the query, in chronological order, and the conversation's size. */
export async function historyPage(
  sql: Sql,
  conversationId: string,
  q: HistoryQuery,
): Promise<{ rows: MessageRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    sql.unsafe<MessageRow[]>(
      `select ${COLUMNS} from chat_messages
       where conversation_id = $1 and ($2::bigint is null or seq < $2) and ($3::timestamptz is null or created_at < $3)
       order by seq desc limit $4`,
      [conversationId, q.beforeSeq ?? null, q.beforeTime ?? null, q.limit],
    ),
    sql<
      { n: number }[]
    >`select count(*)::int as n from chat_messages where conversation_id = ${conversationId}`,
  ]);
  return { rows: rows.reverse(), total: count[0]?.n ?? 0 };
}

/** Marks the other side's messages up to `upToSeq` read; returns how many changed. */
export async function markRead(
  sql: Sql,
  conversationId: string,
  reader: 'admin' | 'client',
  upToSeq: number,
): Promise<number> {
  const result = await sql`update chat_messages set read_at = now()
    where conversation_id = ${conversationId} and seq <= ${upToSeq} and read_at is null
      and sender_role in ${sql(rolesReadBy(reader))}`;
  return result.count;
}

interface ConversationRow {
  clientId: string;
  username: string;
  name: string;
  unread: number;
  lastId: string | null;
  lastSeq: number | null;
  lastSenderId: string | null;
  lastSenderRole: ChatRole | null;
  lastSenderName: string | null;
  lastBody: string | null;
  lastCreatedAt: Date | null;
  lastReadAt: Date | null;
}

const toConversation = (r: ConversationRow): Conversation => ({
  id: r.clientId,
  client: { id: r.clientId, username: r.username, name: r.name },
  lastMessage:
    r.lastId === null
      ? null
      : toChatMessage({
          id: r.lastId,
          seq: r.lastSeq!,
          conversationId: r.clientId,
          senderId: r.lastSenderId,
          senderRole: r.lastSenderRole!,
          senderName: r.lastSenderName!,
          body: r.lastBody!,
          createdAt: r.lastCreatedAt!,
          readAt: r.lastReadAt,
        }),
  unread: r.unread,
});

/**
 * Client conversations as seen by `reader`: every client for administrators
 * (those with the newest messages first), or just the client's own.
 */
export async function listConversations(
  sql: Sql,
  reader: { role: 'admin' | 'client'; id: string },
  page: { limit: number; offset: number },
): Promise<{ items: Conversation[]; total: number }> {
  const only = reader.role === 'client' ? reader.id : null;
  const unreadRoles = rolesReadBy(reader.role);
  const where = sql`where u.role = 'client' and (${only}::uuid is null or u.id = ${only})`;
  const [rows, count] = await Promise.all([
    sql<ConversationRow[]>`
      select u.id as "clientId", u.username, u.name,
        coalesce(un.n, 0)::int as unread,
        lm.id as "lastId", lm.seq as "lastSeq", lm.sender_id as "lastSenderId",
        lm.sender_role as "lastSenderRole", lm.sender_name as "lastSenderName", lm.body as "lastBody",
        lm.created_at as "lastCreatedAt", lm.read_at as "lastReadAt"
      from users u
      left join lateral (
        select * from chat_messages m where m.conversation_id = u.id order by m.seq desc limit 1
      ) lm on true
      left join lateral (
        select count(*) as n from chat_messages m
        where m.conversation_id = u.id and m.read_at is null and m.sender_role in ${sql(unreadRoles)}
      ) un on true
      ${where}
      order by lm.seq desc nulls last, u.username
      limit ${page.limit} offset ${page.offset}`,
    sql<{ n: number }[]>`select count(*)::int as n from users u ${where}`,
  ]);
  return { items: rows.map(toConversation), total: count[0]?.n ?? 0 };
}

/** The client a conversation belongs to, or null when the id is not a client's. */
export async function findClient(sql: Sql, id: string): Promise<{ id: string; name: string } | null> {
  const rows = await sql<{ id: string; name: string }[]>`
    select id, name from users where id = ${id} and role = 'client'`;
  return rows[0] ?? null;
}
