/**
 * Loads the runtime's Lua scripts (the `.lua` files beside this module, each
 * with its KEYS/ARGV/output contract in its header) onto an ioredis client as
 * custom commands. Files are read with `new URL(..., import.meta.url)` so the
 * same code works on Node and Deno.
 */
import { readFileSync } from 'node:fs';
import type { RedisClient } from './connect.ts';

const SCRIPTS = {
  acquireLease: { file: 'acquire-lease.lua', keys: 2 },
  renewLease: { file: 'renew-lease.lua', keys: 1 },
  releaseLease: { file: 'release-lease.lua', keys: 1 },
  heartbeatNode: { file: 'heartbeat-node.lua', keys: 1 },
  liveNodes: { file: 'live-nodes.lua', keys: 1 },
} as const;

/** The commands `defineRuntimeScripts` adds, with the argument lists of their contracts. */
export interface RuntimeScripts {
  acquireLease(leaseKey: string, epochKey: string, holder: string, ttlMs: number): Promise<number>;
  renewLease(leaseKey: string, holder: string, epoch: number, ttlMs: number): Promise<number>;
  releaseLease(leaseKey: string, holder: string, epoch: number): Promise<number>;
  heartbeatNode(nodesKey: string, nodeId: string, ttlMs: number): Promise<number>;
  liveNodes(nodesKey: string): Promise<string[]>;
}

let sources: Record<keyof typeof SCRIPTS, string> | null = null;

function loadSources(): Record<keyof typeof SCRIPTS, string> {
  if (!sources) {
    const loaded = {} as Record<keyof typeof SCRIPTS, string>;
    for (const [name, script] of Object.entries(SCRIPTS) as [
      keyof typeof SCRIPTS,
      (typeof SCRIPTS)[keyof typeof SCRIPTS],
    ][]) {
      loaded[name] = readFileSync(new URL(`./${script.file}`, import.meta.url), 'utf8');
    }
    sources = loaded;
  }
  return sources;
}

/** Defines the scripts on `client` (EVALSHA with automatic fallback to EVAL) and returns it typed. */
export function defineRuntimeScripts<C extends RedisClient>(client: C): C & RuntimeScripts {
  const lua = loadSources();
  for (const name of Object.keys(SCRIPTS) as (keyof typeof SCRIPTS)[]) {
    client.defineCommand(name, { lua: lua[name], numberOfKeys: SCRIPTS[name].keys });
  }
  return client as C & RuntimeScripts;
}
