// A module-loader hook that fixes a known postgres.js 3.4.9 crash while its
// upstream fix is unreleased (porsager/postgres#1208, #1154; PRs #1168, #1209).
//
// postgres.js defers small writes behind setImmediate(nextWrite). When the
// socket closes first (a database restart, a network cut), nextWrite runs with
// `socket === null` and throws from the immediate: an uncaught TypeError that
// kills the process (invariant 8: processes stay up through outages). And the
// teardown paths cancel that immediate without clearing `nextWriteTimer`, so
// a reconnected connection can never flush a small write again (its queries
// hang). The patch: nextWrite on a closed socket fails the connection's
// queries with CONNECTION_CLOSED (retried by their callers) instead of
// throwing; teardown resets the timer and drops the half-built chunk.
//
// Applied only if the source matches exactly; otherwise the file loads as is
// and a warning says the hotfix no longer applies (remove this file once
// postgres.js ships the fix). Registered by bin/ems.mjs; Deno does not use it.
const TARGET = '/postgres/src/connection.js';

const GUARD_FROM = 'function nextWrite(fn) {\n    const x = socket.write(chunk, fn)';
const GUARD_TO =
  "function nextWrite(fn) {\n    if (!socket) { chunk = nextWriteTimer = null; error(Errors.connection('CONNECTION_CLOSED', options)); return false }\n    const x = socket.write(chunk, fn)";
const TEARDOWN_FROM = '    clearImmediate(nextWriteTimer)\n';
const TEARDOWN_TO = '    clearImmediate(nextWriteTimer)\n    nextWriteTimer = null\n    chunk = null\n';

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.endsWith(TARGET) || result.source == null) return result;
  const source = String(result.source);
  const teardowns = source.split(TEARDOWN_FROM).length - 1;
  if (!source.includes(GUARD_FROM) || teardowns !== 2) {
    process.emitWarning(
      `postgres.js hotfix (cli/postgres-hotfix.mjs) does not apply to ${url}; loaded unpatched`,
    );
    return result;
  }
  return {
    ...result,
    source: source.replace(GUARD_FROM, GUARD_TO).replaceAll(TEARDOWN_FROM, TEARDOWN_TO),
  };
}
