/**
 * The realtime layer as one piece for the composition root (cli/): the chat
 * REST routes, the Socket.IO gateway and the assistant, built from the
 * validated configuration. Routes and gateway share one ChatService, so the
 * rate limit and the pending assistant replies are the same whichever path a
 * message takes. With REDIS_URL the send limit is counted in Redis, once per
 * user for the whole cluster. The composition root (cli/api-role.ts) hands
 * over, in single-process mode, the in-process event source to listen to.
 */
import type { Server } from 'node:http';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { connectRedis, type RedisClient } from '../../runtime/redis/connect.ts';
import type { EventSource } from '../../runtime/types.ts';
import { createAssistant } from '../assistant/index.ts';
import { chatRoutes } from '../chat/index.ts';
import { type RateLimitOptions, RedisRateLimiter } from '../chat/rate-limit.ts';
import { ChatService } from '../chat/service.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { apiRedisKeys } from '../redis-keys.ts';
import {
  attachRealtime,
  disconnectRooms,
  disconnectToken,
  disconnectUser,
  type Realtime,
} from './gateway.ts';

/** The configuration this layer reads (a subset of cli/config.ts's Config). */
export interface RealtimeConfig {
  REDIS_URL?: string | undefined;
  EMS_REDIS_CLUSTER?: boolean | undefined;
  EMS_REDIS_PREFIX: string;
  GEMINI_API_KEY?: string | undefined;
  GEMINI_MODEL: string;
  GEMINI_BASE_URL?: string | undefined;
}

export interface RealtimeSetup {
  mount(app: OpenAPIHono<AppEnv>, deps: AppDeps, config: RealtimeConfig): void;
  attach(
    server: Server,
    deps: AppDeps,
    config: RealtimeConfig,
    local?: { memoryEvents?: EventSource | undefined },
  ): Promise<Realtime>;
  /** Ends the user's sockets on every node at once (else the periodic re-check does, within 30 s). */
  userDeleted(userId: string): void;
  /** Ends the sockets opened with that personal access token on every node at once. */
  tokenRevoked(tokenId: string): void;
  /** Ends every socket in these rooms on every node at once (sessions ended, role changed). */
  endSockets(rooms: string[]): void;
}

export function createRealtimeSetup(
  opts: { recheckMs?: number; assistantTimeoutMs?: number; rateLimit?: Partial<RateLimitOptions> } = {},
): RealtimeSetup {
  let chat: ChatService | undefined;
  let realtime: Realtime | undefined;
  let limiterRedis: RedisClient | undefined;
  const chatFor = (deps: AppDeps, config: RealtimeConfig) => {
    if (!chat && config.REDIS_URL) {
      // One send limit per user across all api nodes.
      limiterRedis = connectRedis(
        { url: config.REDIS_URL, cluster: config.EMS_REDIS_CLUSTER },
        {
          connectionName: 'chat-rate-limit',
          // Fail fast while Redis is away (the limiter then refuses), instead of queueing the send.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
        },
      );
      limiterRedis.on('error', (err) => deps.log.warn({ err }, 'chat rate-limit redis error'));
    }
    chat ??= new ChatService({
      sql: deps.sql,
      events: deps.events,
      log: deps.log,
      limiter: limiterRedis
        ? new RedisRateLimiter(
            limiterRedis,
            apiRedisKeys(config.EMS_REDIS_PREFIX).chatRate,
            opts.rateLimit,
            (err) => deps.log.warn({ err }, 'chat rate limit unavailable; message refused'),
          )
        : undefined,
      rateLimit: opts.rateLimit,
      assistant: createAssistant({
        apiKey: config.GEMINI_API_KEY,
        model: config.GEMINI_MODEL,
        baseUrl: config.GEMINI_BASE_URL,
        timeoutMs: opts.assistantTimeoutMs,
        log: deps.log,
      }),
    });
    return chat;
  };
  return {
    mount(app, deps, config) {
      app.route('/api/chat', chatRoutes(deps, chatFor(deps, config)));
    },
    async attach(server, deps, config, local) {
      if (!config.GEMINI_API_KEY) deps.log.info('GEMINI_API_KEY unset: the assistant is offline');
      const attached = await attachRealtime(server, deps, {
        chat: chatFor(deps, config),
        redisUrl: config.REDIS_URL,
        redisCluster: config.EMS_REDIS_CLUSTER,
        redisPrefix: config.EMS_REDIS_PREFIX,
        memoryEvents: local?.memoryEvents,
        recheckMs: opts.recheckMs,
      });
      realtime = {
        ...attached,
        async close() {
          await attached.close();
          await limiterRedis?.quit().catch(() => {});
        },
      };
      return realtime;
    },
    userDeleted(userId) {
      if (realtime) disconnectUser(realtime.io, userId);
    },
    tokenRevoked(tokenId) {
      if (realtime) disconnectToken(realtime.io, tokenId);
    },
    endSockets(rooms) {
      if (realtime) disconnectRooms(realtime.io, rooms);
    },
  };
}
