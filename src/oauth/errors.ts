/**
 * The one error type every endpoint throws, OAuth or not. The error handler turns it into the
 * error shape (docs/reference/errors.md), {"success": false, "error": "<code>", "error_description": "<text>"}, and logs
 * `detail` (what the server knows and the caller must not: which check failed, what Google
 * said) without ever sending it.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly headers: Record<string, string>;
  /** Fields the answer carries besides the error shape (e.g. a connect_url to fix it with). */
  readonly extra: Record<string, string>;
  /** Server-side only: logged by the error handler, never sent. */
  readonly detail: string | undefined;

  constructor(
    readonly error: string,
    readonly status: number,
    readonly description: string,
    opts: { headers?: Record<string, string>; cause?: unknown; extra?: Record<string, string>; detail?: string } = {},
  ) {
    super(`${error}: ${description}`, { cause: opts.cause });
    this.headers = opts.headers ?? {};
    this.extra = opts.extra ?? {};
    this.detail = opts.detail;
  }
}

/** Options every factory takes: `detail` is logged, never sent. */
interface ErrorOptions {
  detail?: string;
  cause?: unknown;
}

const make =
  (error: string, status: number) =>
  (description: string, opts: ErrorOptions = {}): ApiError =>
    new ApiError(error, status, description, opts);

// RFC 6749 §5.2 error codes, all "HTTP 400 (Bad Request)" unless noted.
/**
 * "The request is missing a required parameter, includes an unsupported parameter value (other
 * than grant type), repeats a parameter, includes multiple credentials, ... or is otherwise
 * malformed." (RFC 6749 §5.2)
 */
export const invalidRequest = make('invalid_request', 400);
/**
 * "The provided authorization grant (e.g., authorization code, resource owner credentials) or
 * refresh token is invalid, expired, revoked, does not match the redirection URI used in the
 * authorization request, or was issued to another client." (RFC 6749 §5.2) Which of these it was
 * goes in `detail`.
 */
export const invalidGrant = make('invalid_grant', 400);
/** "The authenticated client is not authorized to use this authorization grant type." (RFC 6749 §5.2) */
export const unauthorizedClient = make('unauthorized_client', 400);
/** "The authorization grant type is not supported by the authorization server." (RFC 6749 §5.2) */
export const unsupportedGrantType = make('unsupported_grant_type', 400);
/** "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner." (RFC 6749 §5.2) */
export const invalidScope = make('invalid_scope', 400);
// RFC 8628 §3.5: device access token polling answers (400 like RFC 6749 §5.2).
/** "The authorization request is still pending as the end user hasn't yet completed the user-interaction steps." */
export const authorizationPending = make('authorization_pending', 400);
/** "the authorization request is still pending and polling should continue, but the interval MUST be increased by 5 seconds" */
export const slowDown = make('slow_down', 400);
/** "The authorization request was denied." */
export const accessDenied = make('access_denied', 400);
/** "The "device_code" has expired, and the device authorization session has concluded." */
export const expiredToken = make('expired_token', 400);
// RFC 7591 §3.2.2
/** "The value of one or more redirection URIs is invalid." */
export const invalidRedirectUri = make('invalid_redirect_uri', 400);
/** "The value of one of the client metadata fields is invalid and the server has rejected this request." */
export const invalidClientMetadata = make('invalid_client_metadata', 400);

/**
 * RFC 6749 §5.2: "Client authentication failed (e.g., unknown client, no client authentication
 * included, or unsupported authentication method). ... If the client attempted to authenticate
 * via the "Authorization" request header field, the authorization server MUST respond with an
 * HTTP 401 (Unauthorized) status code and include the "WWW-Authenticate" response header field
 * matching the authentication scheme used by the client."
 */
export function invalidClient(
  description: string,
  scheme: 'Basic' | 'Bearer' | undefined = 'Basic',
  opts: ErrorOptions = {},
): ApiError {
  const headers: Record<string, string> = scheme ? { 'www-authenticate': `${scheme} realm="gatehouse"` } : {};
  return new ApiError('invalid_client', 401, description, { ...opts, headers });
}

/**
 * RFC 6750 §3.1: "The access token provided is expired, revoked, malformed, or invalid for other
 * reasons. The resource SHOULD respond with the HTTP 401 (Unauthorized) status code."
 */
export function invalidToken(description: string, opts: ErrorOptions = {}): ApiError {
  const safe = description.replace(/["\\]/g, '');
  return new ApiError('invalid_token', 401, description, {
    ...opts,
    headers: { 'www-authenticate': `Bearer realm="gatehouse", error="invalid_token", error_description="${safe}"` },
  });
}

/**
 * RFC 6750 §3.1: "The request requires higher privileges than provided by the access token. The
 * resource server SHOULD respond with the HTTP 403 (Forbidden) status code."
 */
export function insufficientScope(description: string, extra?: Record<string, string>): ApiError {
  const safe = description.replace(/["\\]/g, '');
  return new ApiError('insufficient_scope', 403, description, {
    ...(extra ? { extra } : {}),
    headers: {
      'www-authenticate': `Bearer realm="gatehouse", error="insufficient_scope", error_description="${safe}"`,
    },
  });
}

// Not OAuth codes: the rest of the API (admin, vault, API keys, Google) answers in the same shape.
export const unauthorized = make('unauthorized', 401);
export const forbidden = make('forbidden', 403);
export const notFound = make('not_found', 404);
export const payloadTooLarge = make('payload_too_large', 413);
export const unsupportedMediaType = make('unsupported_media_type', 415);
export const upstreamUnavailable = make('upstream_unavailable', 502);
export const unavailable = make('unavailable', 503);
export const serverError = make('server_error', 500);

export function conflict(description: string, code = 'conflict', opts: ErrorOptions = {}): ApiError {
  return new ApiError(code, 409, description, opts);
}

/** RFC 6585 §4: 429 with Retry-After (RFC 9110 §10.2.3). */
export function tooManyRequests(
  retryAfterSeconds: number,
  description = 'too many requests; try again later',
): ApiError {
  return new ApiError('too_many_requests', 429, description, {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
}

/** What the caller sees: never `detail`. */
export function errorBody(err: ApiError) {
  return { ...err.extra, success: false as const, error: err.error, error_description: err.description };
}
