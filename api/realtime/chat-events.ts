/**
 * The chat over the socket: `chat:send`, `chat:typing` and `chat:read`, each
 * acknowledged with `{ok: true, …}` or `{error: {code, message, details?}}`.
 * Sending and read receipts go through the same ChatService as REST (so the
 * pushes, limits and checks are identical); typing is not stored and is
 * relayed straight to the other side: a client's to the admins, an admin's to
 * the client. A bad payload is answered, never thrown: a handler that threw
 * would leave the client waiting and the process with an unhandled rejection.
 * Typing and read receipts are rate limited per socket (each is a query and a
 * broadcast to every admin): over `chat:typing` 2/s or `chat:read` 5/s the
 * event is dropped, answered with `too_many_requests`, and counted.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { ADMINS_ROOM, userRoom } from '../../core/rooms.ts';
import type { ChatService } from '../chat/service.ts';
import type { Ack } from '../contract.ts';
import { ApiError, invalid } from '../errors.ts';
import type { EmsSocket } from './session.ts';

const SendPayload = z.object({
  conversationId: z.string().max(64),
  body: z.string(),
  toAssistant: z.boolean().optional(),
});
const TypingPayload = z.object({ conversationId: z.string().max(64), typing: z.boolean() });
const ReadPayload = z.object({ conversationId: z.string().max(64), upTo: z.string().max(64) });

function parse<T extends z.ZodType>(schema: T, payload: unknown): z.infer<T> {
  const result = schema.safeParse(payload);
  if (!result.success) throw invalid(result.error, 'payload');
  return result.data;
}

/** Runs `work` and acknowledges its result or its error, whatever happens. */
async function answer<T extends object>(ack: unknown, log: Logger, work: () => Promise<T>): Promise<void> {
  let reply: Parameters<Ack<T>>[0];
  try {
    reply = { ok: true, ...(await work()) };
  } catch (err) {
    let apiError: ApiError;
    if (err instanceof ApiError) apiError = err;
    else {
      log.error({ err }, 'socket handler failed');
      apiError = new ApiError('internal', 'Internal error; it has been logged');
    }
    reply = apiError.toBody();
  }
  if (typeof ack === 'function') ack(reply);
}

/** Events allowed per socket per second; the rest are dropped. */
export const SOCKET_EVENT_LIMITS = { 'chat:typing': 2, 'chat:read': 5 } as const;
export type LimitedEvent = keyof typeof SOCKET_EVENT_LIMITS;

/** A sliding one-second window per event, for one socket. */
function perSocketLimiter() {
  const recent: Record<LimitedEvent, number[]> = { 'chat:typing': [], 'chat:read': [] };
  return (event: LimitedEvent, now = Date.now()): boolean => {
    const times = recent[event].filter((t) => t > now - 1000);
    recent[event] = times;
    if (times.length >= SOCKET_EVENT_LIMITS[event]) return false;
    times.push(now);
    return true;
  };
}

const dropped = (event: string) =>
  new ApiError(
    'too_many_requests',
    `Too many ${event} events; at most ${SOCKET_EVENT_LIMITS[event as LimitedEvent]} per second`,
  );

export function registerChatEvents(
  socket: EmsSocket,
  chat: ChatService,
  log: Logger,
  onDropped: (event: LimitedEvent) => void = () => {},
): void {
  const user = () => socket.data.user;
  const allow = perSocketLimiter();
  const limited = (event: LimitedEvent) => {
    if (allow(event)) return;
    onDropped(event);
    throw dropped(event);
  };

  socket.on('chat:send', (payload, ack) =>
    answer(ack, log, async () => ({ message: await chat.send(user(), parse(SendPayload, payload)) })),
  );

  socket.on('chat:read', (payload, ack) =>
    answer(ack, log, async () => {
      limited('chat:read');
      await chat.markRead(user(), parse(ReadPayload, payload));
      return {};
    }),
  );

  socket.on('chat:typing', (payload, ack) =>
    answer(ack, log, async () => {
      limited('chat:typing');
      const { conversationId, typing } = parse(TypingPayload, payload);
      const me = user();
      const client = await chat.conversationFor(me, conversationId);
      const otherSide = me.role === 'client' ? ADMINS_ROOM : userRoom(client.id);
      socket
        .to(otherSide)
        .emit('chat:typing', { conversationId: client.id, userId: me.id, role: me.role, typing });
      return {};
    }),
  );
}
