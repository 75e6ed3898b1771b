/**
 * The one place the dashboard talks HTTP: JSON in and out under /api, the
 * bearer token from the session, and the API's error body turned into a typed
 * `ApiError`. A 401 on an authenticated call means the session is gone, so it
 * is reported once to whoever registered (the session store) instead of every
 * view handling it.
 */
import type { ApiErrorBody } from '../../../api/contract.ts';

export type ErrorDetail = NonNullable<ApiErrorBody['error']['details']>[number];

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: ErrorDetail[];

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The message for one form field, if the server named it (`path` like `maxHourlyKwh`). */
  detailFor(path: string): string | undefined {
    return this.details.find((d) => d.path === path || d.path.endsWith(`.${path}`))?.message;
  }
}

const TOKEN_KEY = 'ems.token';

export const tokenStorage = {
  get(): string | null {
    return globalThis.localStorage?.getItem(TOKEN_KEY) ?? null;
  },
  set(token: string | null): void {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  },
};

let unauthorizedHandler: ((error: ApiError) => void) | null = null;

/** Registers what happens when the server says the token is no longer valid. */
export function onUnauthorized(handler: ((error: ApiError) => void) | null): void {
  unauthorizedHandler = handler;
}

type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Login itself answers 401 for wrong credentials; that is not an expired session. */
  skipAuthHandling?: boolean;
}

function urlOf(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return `/api${path}${qs ? `?${qs}` : ''}`;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> | null = null;
  try {
    body = (await response.json()) as Partial<ApiErrorBody>;
  } catch {
    // Proxies and crashed servers answer HTML or nothing; the status still tells the story.
  }
  const error = body?.error;
  if (error && typeof error.code === 'string') {
    return new ApiError(response.status, error.code, error.message ?? 'Request failed', error.details ?? []);
  }
  const code =
    response.status === 401 ? 'unauthorized' : response.status >= 500 ? 'unavailable' : 'http_error';
  return new ApiError(response.status, code, `The server answered ${response.status}.`);
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = tokenStorage.get();
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(urlOf(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection.');
  }

  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !options.skipAuthHandling) unauthorizedHandler?.(error);
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A message fit for the screen, whatever was thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
