#!/usr/bin/env node
// The `ems` command on Node: TypeScript sources run through tsx's loader, so a
// checkout works right after `npm ci` with no build step. Deno runs the same
// cli/main.ts directly (see deno.json).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
await main(process.argv.slice(2));
