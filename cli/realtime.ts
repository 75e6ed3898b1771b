/**
 * Wires the realtime layer (Socket.IO gateway, chat, assistant) into an api
 * node, when it is present in this build.
 */
import type { Server } from 'node:http';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../api/context.ts';
import type { RuntimeDrivers } from '../runtime/types.ts';
import type { Config } from './config.ts';

export interface RealtimeSetup {
  mount(app: OpenAPIHono<AppEnv>, deps: AppDeps, config: Config): void;
  attach(
    server: Server,
    deps: AppDeps,
    config: Config,
    drivers: RuntimeDrivers,
  ): Promise<{ close(): Promise<void> }>;
}

export async function attachRealtimeIfAvailable(): Promise<RealtimeSetup | null> {
  return null;
}
