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
  403: 'Forbidden, or insufficient_scope',
  404: 'Not found',
  409: 'Conflict (reauth_required for a Google grant that is no longer valid)',
  413: 'Request body too large',
  415: 'Unsupported Content-Type',
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

/** OAuth endpoints take form-encoded bodies only (RFC 6749 §3.2); put this in their schema. */
export const FORM = ['application/x-www-form-urlencoded'];

/** What POST /oauth/token answers for every grant (RFC 6749 §5.1 plus `success`, `expiry`, `username`). */
export const tokenResponse = z
  .object({
    success: z.literal(true),
    access_token: z.string().describe('A JWT access token (RFC 9068)'),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().describe('Seconds until the access token expires'),
    expiry: z.number().int().describe('Unix seconds when the access token expires'),
    refresh_token: z.string().optional().describe('Rotated on every use (RFC 9700 §4.14.2)'),
    scope: z.string(),
    id_token: z.string().optional().describe('OIDC Core §3.1.3.3, when openid was granted'),
    issued_token_type: z.string().optional().describe('Token exchange only (RFC 8693 §2.2.1)'),
    username: z.string().optional(),
  })
  .meta({ id: 'TokenResponse', description: 'Tokens issued at the token endpoint' });

/** What every broker call answers: a Google access token for a person or a connection. */
export const brokerToken = z
  .object({
    success: z.literal(true),
    access_token: z.string().describe('A Google access token'),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().describe('Remaining lifetime in whole seconds'),
    expiry: z.number().int().describe('Unix seconds when the Google token expires'),
    scope: z.string().describe('The Google scopes the token carries'),
    subject: z.string().describe('Canonical subject: the user id or the connection id'),
  })
  .meta({ id: 'BrokerToken', description: 'A Google access token from the vault' });

const connectUrl = z
  .url()
  .describe(
    'For a connection only: a fresh single-use connect link (15 min) that asks for the missing scopes (403) or reconnects the grant (409), returning to the return_to of the connection’s last link',
  );

const brokerInsufficientScope = errorBody
  .extend({ error: z.literal('insufficient_scope'), connect_url: connectUrl.optional() })
  .meta({ id: 'BrokerInsufficientScope', description: 'The credential lacks a requested Google scope' });

const brokerConflict = errorBody
  .extend({ error: z.enum(['reauth_required', 'ambiguous_subject']), connect_url: connectUrl.optional() })
  .meta({
    id: 'BrokerConflict',
    description:
      'reauth_required: Google refused the refresh token (invalid_grant); the credential is marked and webhooks are told. ambiguous_subject: an email that is the verified email of several people',
  });

/** The errors every broker call can answer with (product rule "Broker"); 403 and 409 may carry a connect_url. */
export const brokerErrors: Record<number, DocResponse> = {
  ...errors(400, 401),
  403: {
    description:
      'insufficient_scope (with connect_url for a connection), or forbidden: the API key lacks the tokens scope',
    content: { 'application/json': { schema: z.union([brokerInsufficientScope, errorBody]) } },
  },
  ...errors(404),
  409: {
    description: 'reauth_required (with connect_url for a connection) or ambiguous_subject',
    content: { 'application/json': { schema: brokerConflict } },
  },
  ...errors(429, 502, 503),
};

/** A page (browser endpoints answer errors with a page too). */
export function html(description: string): DocResponse {
  return { description, content: { 'text/html': { schema: z.string() } } };
}

/** A redirect: no body, the Location header is the answer. */
export function redirect(description: string): DocResponse {
  return z.null().describe(description);
}
