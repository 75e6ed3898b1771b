/**
 * A fake `fetch` for store tests: routes by "METHOD /path" to handlers that
 * answer JSON, and records every call (with query and body) so a test can
 * assert what the store asked the server for.
 */
import { vi } from 'vitest';

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string>;
}

type Answer = { status?: number; body?: unknown } | Promise<{ status?: number; body?: unknown }>;
type Handler = (call: RecordedCall) => Answer;

export function fakeFetch(routes: Record<string, Handler>) {
  const calls: RecordedCall[] = [];
  const fn = vi.fn(async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'http://ems.test');
    const call: RecordedCall = {
      method: init.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      headers: (init.headers ?? {}) as Record<string, string>,
    };
    calls.push(call);
    const key = `${call.method} ${call.path}`;
    const handler =
      routes[key] ??
      Object.entries(routes).find(([pattern]) =>
        new RegExp(`^${pattern.replace(/:\w+/g, '[^/]+')}$`).test(key),
      )?.[1];
    if (!handler) {
      return new Response(JSON.stringify({ error: { code: 'not_found', message: `No fake for ${key}` } }), {
        status: 404,
      });
    }
    const answer = await handler(call);
    const status = answer.status ?? 200;
    return new Response(answer.body === undefined || status === 204 ? null : JSON.stringify(answer.body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fn);
  return { calls, fn, last: (key: string) => calls.filter((c) => `${c.method} ${c.path}` === key).at(-1) };
}

/** The query string of a recorded call as a plain object, to compare in one assertion. */
export function queryOf(call: RecordedCall | undefined): Record<string, string> {
  return Object.fromEntries(call?.query ?? []);
}

export function apiError(status: number, code: string, message: string, details?: unknown[]) {
  return { status, body: { error: { code, message, ...(details ? { details } : {}) } } };
}

/** A deferred answer, to hold a response until the test releases it. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Searches a paged list twice where the first answer is slower: `first` is held, `second` is
 * answered at once with `current`, then the first arrives late with `late`. For checking that
 * an older answer never overwrites a newer one.
 */
export async function raceSearches(
  list: { setSearch(q: string): Promise<unknown> },
  path: string,
  [first, second]: [string, string],
  answers: { late: unknown[]; current: unknown[] },
): Promise<void> {
  const slow = deferred<{ body: unknown }>();
  const page = (items: unknown[]) => ({ body: { items, total: items.length } });
  fakeFetch({
    [`GET ${path}`]: (call) => (call.query.get('q') === first ? slow.promise : page(answers.current)),
  });
  const older = list.setSearch(first);
  await list.setSearch(second);
  slow.resolve(page(answers.late));
  await older;
}
