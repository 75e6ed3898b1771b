/**
 * The support chat over REST: conversations, history pages, sending and read
 * receipts. One conversation per client, its id the client's user id; a
 * client may only use its own (another id is a 404), administrators any
 * client's. The work is done by ChatService, shared with the socket gateway.
 */
import { z } from '@hono/zod-openapi';
import { requireUser } from '../auth/principal.ts';
import type { AppDeps } from '../context.ts';
import { ChatMessage, Conversation, listOf, Uuid } from '../contract.ts';
import { errors, json, jsonBody, newRouter, Paging, pagedList, routeBuilder } from '../router.ts';
import { ChatService, MAX_BODY_CHARS } from './service.ts';

const ClientParam = z.object({
  clientId: Uuid.openapi({ param: { name: 'clientId', in: 'path' }, description: "The client's user id" }),
});
const HistoryQuery = z.object({
  before: z.string().max(64).optional().openapi({
    description:
      'Page backwards: a message id (messages older than it) or an ISO 8601 date-time (messages created before it). Omit for the newest page.',
  }),
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ description: 'Page size (max 500)' }),
});
const SendMessage = z
  .object({
    body: z
      .string()
      .openapi({ description: `Non-empty after trimming, at most ${MAX_BODY_CHARS} characters` }),
    toAssistant: z.boolean().optional().openapi({
      description: 'Ask the EMS assistant (clients only); its reply follows as another message',
    }),
  })
  .strict()
  .openapi('SendChatMessage');
const ReadUpTo = z
  .object({ upTo: Uuid.openapi({ description: 'The newest message read; older ones count as read too' }) })
  .strict()
  .openapi('ChatReadUpTo');

const route = routeBuilder(['chat']);
const routes = {
  conversations: route(
    'get',
    '/conversations',
    {
      summary:
        'Conversations: every client for administrators (latest activity first), the own one for a client',
      description:
        '`unread` counts the messages the caller has not read: for administrators the client’s, for a client those of administrators and the assistant.',
    },
    pagedList(Paging, Conversation, 'A page of conversations'),
  ),
  history: route(
    'get',
    '/conversations/{clientId}/messages',
    'A page of messages, newest page first, returned in chronological order',
    {
      request: { params: ClientParam, query: HistoryQuery },
      responses: { 200: json(listOf(ChatMessage), 'Messages, oldest first'), ...errors(400, 401, 403, 404) },
    },
  ),
  send: route(
    'post',
    '/conversations/{clientId}/messages',
    'Send a message (pushed as chat:message to the client and to administrators)',
    {
      request: { params: ClientParam, ...jsonBody(SendMessage) },
      responses: { 201: json(ChatMessage, 'The stored message'), ...errors(400, 401, 403, 404, 429) },
    },
  ),
  read: route(
    'post',
    '/conversations/{clientId}/read',
    'Mark the other side’s messages read up to one message (pushed as chat:read)',
    {
      request: { params: ClientParam, ...jsonBody(ReadUpTo) },
      responses: { 204: { description: 'Marked read' }, ...errors(400, 401, 403, 404) },
    },
  ),
};

export function chatRoutes(deps: AppDeps, chat?: ChatService) {
  const service = chat ?? new ChatService({ sql: deps.sql, events: deps.events, log: deps.log });
  const app = newRouter();

  app.openapi(routes.conversations, async (c) => {
    const user = requireUser(c);
    return c.json(await service.conversations(user, c.req.valid('query')), 200);
  });

  app.openapi(routes.history, async (c) => {
    const user = requireUser(c);
    const { clientId } = c.req.valid('param');
    return c.json(await service.history(user, clientId, c.req.valid('query')), 200);
  });

  app.openapi(routes.send, async (c) => {
    const user = requireUser(c);
    const { clientId } = c.req.valid('param');
    const { body, toAssistant } = c.req.valid('json');
    return c.json(await service.send(user, { conversationId: clientId, body, toAssistant }), 201);
  });

  app.openapi(routes.read, async (c) => {
    const user = requireUser(c);
    const { clientId } = c.req.valid('param');
    await service.markRead(user, { conversationId: clientId, upTo: c.req.valid('json').upTo });
    return c.body(null, 204);
  });

  return app;
}
