#!/usr/bin/env node
// The `ems` command on Node: TypeScript sources run through tsx's loader, so a
// checkout works right after `npm ci` with no build step. Deno runs the same
// cli/main.ts directly (see deno.json).
import { register as registerHook } from 'node:module';
import { register } from 'tsx/esm/api';

// Until postgres.js releases its fix for a crash on a closed socket (see the file's header).
registerHook('../cli/postgres-hotfix.mjs', import.meta.url);
register();
const { main } = await import('../cli/main.ts');
await main(process.argv.slice(2));
