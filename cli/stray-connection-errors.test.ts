/**
 * A connection error nobody awaits keeps a process up; any other unhandled
 * rejection still ends it (a real child process, so Node's own rule is what
 * is tested).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isStrayConnectionError } from './stray-connection-errors.ts';

const MODULE = fileURLToPath(new URL('./stray-connection-errors.ts', import.meta.url));

/** Runs a child that installs the handler, rejects with `reason` unobserved, then exits 0 if still alive. */
function childRejecting(reason: string) {
  const script = `
    const { keepUpOnStrayConnectionErrors } = await import(${JSON.stringify(MODULE)});
    const logged = [];
    keepUpOnStrayConnectionErrors({ error: (o, m) => logged.push(m) });
    Promise.reject(${reason});
    setTimeout(() => { console.log('alive', logged.length); process.exit(0); }, 50);
  `;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('stray connection errors', () => {
  it('a raw ECONNRESET nobody awaits is logged and the process carries on', () => {
    const run = childRejecting(`Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })`);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('alive 1');
  });

  it('any other unhandled rejection still ends the process', () => {
    const run = childRejecting(`new TypeError('a bug')`);
    expect(run.status).not.toBe(0);
    expect(run.stdout).not.toContain('alive');
    expect(run.stderr).toContain('a bug');
  });

  it.each([
    [Object.assign(new Error('x'), { code: 'CONNECTION_CLOSED' }), true],
    [Object.assign(new Error('x'), { code: 'EPIPE' }), true],
    [Object.assign(new Error('x'), { code: '23505' }), false],
    [new Error('no code'), false],
    [{ code: 'ECONNRESET' }, false],
    [null, false],
  ])('classifies %o as a connection error: %s', (reason, expected) => {
    expect(isStrayConnectionError(reason)).toBe(expected);
  });
});
