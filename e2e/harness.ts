/**
 * End-to-end harness: builds the dashboard, starts a real `ems start` on a free
 * port with a throwaway data directory, and drives Debian's Chromium through
 * playwright-core. Nothing is mocked; the test talks to the system as a user
 * and a meter would. Page errors and console errors are collected so a test
 * can fail on any of them. `useEms()` registers the setup and teardown every
 * browser test file shares.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { animationsDone } from './a11y.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ADMIN_PASSWORD = 'e2e-admin-password-1';

/** Where screenshots go: docs/screenshots/ with UPDATE_SCREENSHOTS=1, else a temp folder. */
export const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs/screenshots')
  : join(tmpdir(), 'ems-e2e-screenshots');

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function buildUi(): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'ui/vite.config.ts'],
    {
      cwd: ROOT,
      stdio: 'pipe',
    },
  );
}

export interface EmsServer {
  url: string;
  logs: string[];
  stop(): Promise<void>;
}

/** `args`: extra options of `ems start`, e.g. ['--demo']. */
export async function startEms(args: string[] = []): Promise<EmsServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'ems-e2e-'));
  const logs: string[] = [];
  // Single-process mode with the embedded database, whatever the developer's shell exports.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'GEMINI_API_KEY', 'JWT_SECRET']) delete env[key];
  const child: ChildProcess = spawn(process.execPath, ['bin/ems.mjs', 'start', ...args], {
    cwd: ROOT,
    env: {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      EMS_DATA_DIR: dataDir,
      EMS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => logs.push(String(chunk)));
  child.stderr?.on('data', (chunk) => logs.push(String(chunk)));
  const url = `http://127.0.0.1:${port}`;

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Poll health instead of sleeping: a cold start (embedded database, migrations) varies a lot.
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`ems exited early:\n${logs.join('')}`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 600) throw new Error(`ems did not become ready:\n${logs.join('').slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    url,
    logs,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions and console errors seen so far. */
  problems: string[];
}

export async function openPage(
  browser: Browser,
  baseURL: string,
  viewport = { width: 1440, height: 900 },
): Promise<WatchedPage> {
  const context = await browser.newContext({
    baseURL,
    viewport,
    timezoneId: 'Europe/Berlin',
    locale: 'en-GB',
    // What a user who asks for less motion gets; screenshots never catch a transition.
    reducedMotion: 'reduce',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (
      message.type() === 'error' ||
      (message.type() === 'warning' && message.text().includes('[Vue warn]'))
    ) {
      problems.push(`console.${message.type()}: ${message.text()}`);
    }
  });
  return { page, context, problems };
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/** A small REST client for what a meter or a script does (posting readings). */
export async function apiLogin(baseUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

export async function api<T>(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A test file's running system: the server, Chromium and an admin API token (filled in by beforeAll). */
export interface EmsSession extends EmsServer {
  browser: Browser;
  adminToken: string;
}

/**
 * Registers what every browser test file does around its tests: before them, build the
 * dashboard, start `ems start <args>`, launch Chromium and sign the admin in over the API;
 * after them, close both. The object it returns is filled in once beforeAll has run.
 * `timeoutMs`: the setup's budget (the e2e project's hookTimeout unless given).
 */
export function useEms(args: string[] = [], timeoutMs?: number): EmsSession {
  const session = {} as EmsSession;
  let server: EmsServer | undefined;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    buildUi();
    server = await startEms(args);
    Object.assign(session, server);
    session.browser = await launchBrowser();
    session.adminToken = await apiLogin(server.url, 'admin', ADMIN_PASSWORD);
  }, timeoutMs);
  afterAll(async () => {
    await session.browser?.close();
    await server?.stop();
  });
  return session;
}

/** A screenshot into SHOTS once animations are done (`fullPage`: the whole page, not the viewport). */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  await animationsDone(page);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}
