/**
 * The `ems` command as a shell user meets it, run as a real child process
 * (`node bin/ems.mjs …`): help texts, exit code 2 for usage and
 * configuration mistakes, and a one-line message naming the bad variable.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/ems.mjs …args` with a clean EMS environment plus `env`. */
function ems(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(EMS_|DATABASE_URL|REDIS_URL|JWT_SECRET|PORT|HOST|GEMINI_)/.test(k),
    ),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/ems.mjs', ...args], {
      cwd: ROOT,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // A command under test that starts serving instead of failing would never exit.
    const guard = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('ems', () => {
  it('--help prints the usage with every command and exits 0', async () => {
    const run = await ems(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: ems <command>/);
    for (const command of ['start', 'api', 'runtime', 'migrate', 'simulate'])
      expect(run.stdout).toMatch(new RegExp(`^\\s+${command}\\s`, 'm'));
    expect(run.stderr).toBe('');
  });

  it('start --help describes its options and exits 0 without starting anything', async () => {
    const run = await ems(['start', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: ems start/);
    expect(run.stdout).toContain('--demo');
    expect(run.stdout).toContain('--build-ui');
  });

  it('an unknown command exits 2 and says which', async () => {
    const run = await ems(['bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "bogus"');
    expect(run.stdout).toBe('');
  });

  it('an unknown option exits 2', async () => {
    const run = await ems(['start', '--bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"--bogus"');
  });

  it('PORT=abc ems start exits 2 with one line naming PORT', async () => {
    const run = await ems(['start'], { PORT: 'abc' });
    expect(run.code).toBe(2);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Configuration error: PORT\b/);
    expect(run.stdout).toBe('');
  });

  it('ems api without DATABASE_URL and REDIS_URL exits 2 naming them', async () => {
    const run = await ems(['api']);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('DATABASE_URL');
  });

  it('demo without --remove explains itself and exits 2; with it, removes the demo data (none here)', async () => {
    const help = await ems(['demo']);
    expect(help.code).toBe(2);
    expect(help.stdout).toContain('Usage: ems demo --remove');
    const dataDir = mkdtempSync(join(tmpdir(), 'ems-demo-remove-'));
    try {
      const run = await ems(['demo', '--remove'], { EMS_DATA_DIR: dataDir });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Demo removed: 0 devices, 0 user.');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a DATABASE_URL password is not printed when JWT_SECRET is missing', async () => {
    const run = await ems(['migrate'], { DATABASE_URL: 'postgres://ems:pa55word-xyz@127.0.0.1:1/ems' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Configuration error: JWT_SECRET\b/);
    expect(run.stderr).not.toContain('pa55word-xyz');
  });
});
