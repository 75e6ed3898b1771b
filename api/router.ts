/**
 * Helpers shared by every resource folder: a router whose validation failures
 * become our 400 error body, and small builders for the OpenAPI route
 * descriptions (JSON bodies, JSON responses, error responses, paging).
 */
import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context, TypedResponse } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JSONParsed } from 'hono/utils/types';
import type { AppEnv } from './context.ts';
import { ApiErrorBody, listOf } from './contract.ts';
import { ApiError, invalid } from './errors.ts';

export function newRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        // A path that names no resource (such as /api/devices/nope) is simply not found.
        if (result.target === 'param') throw new ApiError('not_found', 'Not found');
        throw invalid(result.error, result.target === 'json' ? 'body' : result.target);
      }
    },
  });
}

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    body: {
      required: true,
      description,
      content: { 'application/json': { schema } },
    },
  } as const;
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

const errorDescriptions = {
  400: 'Invalid request: the body or query failed validation (see details)',
  401: 'Missing, invalid, expired or revoked token',
  403: 'Authenticated but not allowed',
  404: 'Not found (also for resources of other clients)',
  409: 'Conflict',
  413: 'Payload too large',
  422: 'Unprocessable: refers to something that does not exist',
  429: 'Too many requests',
  503: 'Unavailable',
} as const;

type ErrorStatus = keyof typeof errorDescriptions;

export function errors<S extends ErrorStatus>(...statuses: S[]) {
  const out = {} as Record<
    S,
    { description: string; content: { 'application/json': { schema: typeof ApiErrorBody } } }
  >;
  for (const s of statuses)
    out[s] = { description: errorDescriptions[s], content: { 'application/json': { schema: ApiErrorBody } } };
  return out;
}

export const Paging = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ description: 'Page size (max 500)' }),
  offset: z.coerce.number().int().min(0).default(0),
});

export const IdParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

export const bearer = [{ bearerAuth: [] }];

/** The request and responses of a paged list (GET …?limit=&offset=): a page of `item`s, or 400/401/403. */
export function pagedList<Q extends z.ZodObject, T extends z.ZodTypeAny>(
  query: Q,
  item: T,
  description: string,
) {
  return {
    request: { query },
    responses: { 200: json(listOf(item), description), ...errors(400, 401, 403) },
  };
}

/**
 * The route builder of one resource: `route('get', '/{id}', 'Get a user', { request, responses })`
 * is createRoute with the tags and the bearer security that every authenticated route
 * declares (`{ public: true }`: no security, as for sign-in). The summary may come with
 * a description. The keys keep the order the declarations always had (method, path,
 * tags, summary, description, security, request, responses), so the OpenAPI document
 * stays the same.
 */
export function routeBuilder(tags: string[]) {
  return <
    M extends RouteConfig['method'],
    P extends string,
    C extends Pick<RouteConfig, 'request' | 'responses'>,
  >(
    method: M,
    path: P,
    about: string | { summary: string; description: string },
    parts: C,
    options: { public?: boolean } = {},
  ) =>
    createRoute({
      method,
      path,
      tags,
      ...(typeof about === 'string' ? { summary: about } : about),
      ...(options.public ? {} : { security: bearer }),
      ...parts,
    });
}

/** JSON text already serialised from a `T` (a cached answer): sent as is, typed as `T`. */
export type JsonText<T> = string & { readonly __json?: T };

/** Answers `text` as `application/json`, typed for the route as `c.json(value)` of its `T` would be. */
export function sendJsonText<T, S extends ContentfulStatusCode>(
  c: Context,
  text: JsonText<T>,
  status: S,
): Response & TypedResponse<JSONParsed<T>, S, 'json'> {
  return c.body(text, status, { 'content-type': 'application/json' }) as unknown as Response &
    TypedResponse<JSONParsed<T>, S, 'json'>;
}
