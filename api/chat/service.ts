/**
 * The support chat, shared by the REST routes and the Socket.IO gateway so
 * both paths check access, validate, rate-limit, store and push in exactly
 * the same way. Every stored message is pushed as `chat:message` to the
 * client's room and to `admins` through the EventPublisher — in the
 * distributed mode that is the Redis emitter, so it reaches sockets on every
 * api node. A client message addressed to the assistant is answered in the
 * background; the sender gets its own message back at once.
 */

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ownerRooms } from '../../core/rooms.ts';
import type { Sql } from '../../db/connect.ts';
import type { EventPublisher } from '../../runtime/types.ts';
import { type Assistant, OFFLINE_TEXT } from '../assistant/index.ts';
import type { ChatMessage, Conversation, List } from '../contract.ts';
import { ApiError, notFound } from '../errors.ts';
import type { UserRow } from '../users/repo.ts';
import { MessageRateLimiter, type RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import {
  findClient,
  findMessage,
  historyPage,
  insertMessage,
  listConversations,
  markRead,
  toChatMessage,
} from './repo.ts';

export const MAX_BODY_CHARS = 4000;
export const ASSISTANT_NAME = 'EMS assistant';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type ChatActor = Pick<UserRow, 'id' | 'role' | 'name'>;

export interface ChatServiceOptions {
  sql: Sql;
  events: EventPublisher;
  log: Logger;
  /** Answers `toAssistant` messages; without one they are stored and left to administrators. */
  assistant?: Assistant | undefined;
  /** The per-user send limit; default in memory with `rateLimit` (20 messages / 10 s). */
  limiter?: RateLimiter | undefined;
  rateLimit?: Partial<RateLimitOptions>;
  /** How many recent messages the assistant sees. Default 20. */
  assistantHistory?: number;
}

export class ChatService {
  readonly #opts: ChatServiceOptions;
  readonly #limiter: RateLimiter;
  readonly #pending = new Set<Promise<void>>();

  constructor(opts: ChatServiceOptions) {
    this.#opts = opts;
    this.#limiter = opts.limiter ?? new MessageRateLimiter(opts.rateLimit);
  }

  /**
   * The client of a conversation the actor may use: a client only its own,
   * an administrator any client's. Anything else is a 404, so ids do not leak.
   */
  async conversationFor(actor: ChatActor, conversationId: string): Promise<{ id: string; name: string }> {
    if (actor.role === 'client') {
      if (conversationId !== actor.id) throw notFound('Conversation');
      return { id: actor.id, name: actor.name };
    }
    const client = UUID_RE.test(conversationId) ? await findClient(this.#opts.sql, conversationId) : null;
    if (!client) throw notFound('Conversation');
    return client;
  }

  async send(
    actor: ChatActor,
    input: { conversationId: string; body: string; toAssistant?: boolean | undefined },
  ): Promise<ChatMessage> {
    const client = await this.conversationFor(actor, input.conversationId);
    const body = validBody(input.body);
    const waitMs = await this.#limiter.take(actor.id);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new ApiError('too_many_requests', `Too many messages; try again in ${seconds} s`, undefined, {
        'retry-after': String(seconds),
      });
    }
    const row = await insertMessage(this.#opts.sql, {
      id: randomUUID(),
      conversationId: client.id,
      senderId: actor.id,
      senderRole: actor.role,
      senderName: actor.name,
      body,
    });
    const message = toChatMessage(row);
    this.#push(message);
    // Only clients consult the assistant; an administrator's flag is ignored.
    if (input.toAssistant && actor.role === 'client') this.#track(this.#answer(client));
    return message;
  }

  async markRead(actor: ChatActor, input: { conversationId: string; upTo: string }): Promise<void> {
    const client = await this.conversationFor(actor, input.conversationId);
    const upTo = UUID_RE.test(input.upTo) ? await findMessage(this.#opts.sql, client.id, input.upTo) : null;
    if (!upTo) throw notFound('Message');
    const changed = await markRead(this.#opts.sql, client.id, actor.role, upTo.seq);
    if (changed > 0) {
      this.#opts.events.emit(ownerRooms(client.id), 'chat:read', {
        conversationId: client.id,
        userId: actor.id,
        upTo: upTo.id,
      });
    }
  }

  /**
   * The newest `limit` messages, in chronological order. `before` pages
   * backwards: a message id (messages older than it) or an ISO 8601 instant
   * (messages created strictly before it).
   */
  async history(
    actor: ChatActor,
    conversationId: string,
    page: { before?: string | undefined; limit: number },
  ): Promise<List<ChatMessage>> {
    const client = await this.conversationFor(actor, conversationId);
    let beforeSeq: number | undefined;
    let beforeTime: Date | undefined;
    if (page.before !== undefined) {
      if (UUID_RE.test(page.before)) {
        const m = await findMessage(this.#opts.sql, client.id, page.before);
        if (!m) throw invalidBefore('no such message in this conversation');
        beforeSeq = m.seq;
      } else if (Number.isFinite(Date.parse(page.before)) && /^\d{4}-\d{2}-\d{2}T/.test(page.before)) {
        beforeTime = new Date(page.before);
      } else {
        throw invalidBefore('must be a message id or an ISO 8601 date-time');
      }
    }
    const { rows, total } = await historyPage(this.#opts.sql, client.id, {
      limit: page.limit,
      beforeSeq,
      beforeTime,
    });
    return { items: rows.map(toChatMessage), total };
  }

  conversations(actor: ChatActor, page: { limit: number; offset: number }): Promise<List<Conversation>> {
    return listConversations(this.#opts.sql, actor, page);
  }

  /** Resolves once every assistant reply started so far has been stored and pushed (or given up). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #push(message: ChatMessage): void {
    this.#opts.events.emit(ownerRooms(message.conversationId), 'chat:message', message);
  }

  #track(work: Promise<void>): void {
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  /** Asks the assistant and posts its reply; never throws (it runs detached from the request). */
  async #answer(client: { id: string; name: string }): Promise<void> {
    const { sql, log, assistant } = this.#opts;
    try {
      const { rows } = await historyPage(sql, client.id, { limit: this.#opts.assistantHistory ?? 20 });
      const history = rows.map(toChatMessage);
      const reply = assistant
        ? await assistant.answer({ sql, client, history })
        : { text: OFFLINE_TEXT, handedOver: true };
      if (reply.handedOver)
        log.info({ conversationId: client.id }, 'assistant handed the conversation to administrators');
      const row = await insertMessage(sql, {
        id: randomUUID(),
        conversationId: client.id,
        senderId: null,
        senderRole: 'assistant',
        senderName: ASSISTANT_NAME,
        body: reply.text.trim().slice(0, MAX_BODY_CHARS) || OFFLINE_TEXT,
      });
      this.#push(toChatMessage(row));
    } catch (err) {
      // The client may have been deleted meanwhile; nothing else to tell anyone.
      log.warn({ err, conversationId: client.id }, 'assistant reply failed');
    }
  }
}

function validBody(raw: unknown): string {
  if (typeof raw !== 'string') throw invalidBody('must be a string');
  const body = raw.trim();
  if (body.length === 0) throw invalidBody('must not be empty');
  if (body.length > MAX_BODY_CHARS) throw invalidBody(`must be at most ${MAX_BODY_CHARS} characters`);
  return body;
}

const invalidBody = (message: string) =>
  new ApiError('invalid_request', `Invalid body at body: ${message}`, [{ path: 'body', message }]);
const invalidBefore = (message: string) =>
  new ApiError('invalid_request', `Invalid query at before: ${message}`, [{ path: 'before', message }]);
