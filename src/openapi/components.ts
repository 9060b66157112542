import { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';

/**
 * Schemas given an id here (`.meta({ id: 'Name' })`) become `components.schemas` entries in
 * /openapi.json, referenced by `$ref` wherever a route uses them. It is zod's global registry
 * because that is also where `.describe()` puts field descriptions, which the document shows.
 */
export const openapiRegistry = z.globalRegistry;

/** The spec's error shape, shared by every error response. */
export const errorBody = z
  .object({
    success: z.literal(false),
    error: z.string().describe('RFC error code, e.g. invalid_request, invalid_client, not_found'),
    error_description: z.string().describe('Human-readable explanation; never a stack trace'),
  })
  .meta({ id: 'Error', description: 'Every JSON error response' });

/**
 * `security` values for route schemas. The names are the securitySchemes of the document
 * (src/plugins/openapi.ts): adminKey (X-Admin-Key), clientBasic (HTTP Basic client credentials),
 * apiKey (Bearer API key), accessToken (Bearer JWT). `none` marks a public route.
 */
export const security = {
  none: [],
  adminKey: [{ adminKey: [] }],
  clientBasic: [{ clientBasic: [] }],
  apiKey: [{ apiKey: [] }],
  accessToken: [{ accessToken: [] }],
} satisfies Record<string, Record<string, string[]>[]>;

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing or invalid credentials',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  429: 'Too many failed attempts; see Retry-After',
  502: 'Upstream (Google) unavailable',
  503: 'A storage backend is unavailable, or the admin API is disabled',
};

/** A documented response: a zod schema, or a description with per-content-type schemas. */
export type DocResponse = $ZodType | { description: string; content: Record<string, { schema: $ZodType }> };

/** Documentation of error responses: `errors(400, 401)` → both as `$ref: Error` with a description. */
export function errors(...statuses: number[]): Record<number, DocResponse> {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: ERROR_TEXT[s] ?? 'Error', content: { 'application/json': { schema: errorBody } } },
    ]),
  );
}

/** A success response with a description (zod `.describe()` would make an unnamed copy). */
export function ok(description: string, schema: $ZodType): DocResponse {
  return { description, content: { 'application/json': { schema } } };
}

/** The errors every admin route can answer with, besides its own. */
export const ADMIN_ERRORS = [401, 429, 503] as const;
