/**
 * The `ems` command on Deno 2: the same cli/main.ts the Node entry
 * (bin/ems.mjs) runs through tsx; Deno runs TypeScript natively and resolves
 * npm packages from node_modules (deno.json: "nodeModulesDir": "manual").
 */
import { main } from './main.ts';

// Deno's global, declared here so tsc (which checks these sources for Node) accepts this one file.
declare const Deno: { args: string[] };

await main(Deno.args);
