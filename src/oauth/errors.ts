/**
 * The one error type every endpoint throws. The error handler turns it into the error shape (docs/reference/errors.md):
 * {"success": false, "error": "<code>", "error_description": "<text>"}.
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  readonly headers: Record<string, string>;
  /** Fields the answer carries besides the error shape (e.g. a connect_url to fix it with). */
  readonly extra: Record<string, string>;

  constructor(
    readonly error: string,
    readonly status: number,
    readonly description: string,
    opts: { headers?: Record<string, string>; cause?: unknown; extra?: Record<string, string> } = {},
  ) {
    super(`${error}: ${description}`, { cause: opts.cause });
    this.headers = opts.headers ?? {};
    this.extra = opts.extra ?? {};
  }
}

const make = (error: string, status: number) => (description: string) => new OAuthError(error, status, description);

// RFC 6749 §5.2
export const invalidRequest = make('invalid_request', 400);
export const invalidGrant = make('invalid_grant', 400);
export const unauthorizedClient = make('unauthorized_client', 400);
export const unsupportedGrantType = make('unsupported_grant_type', 400);
export const invalidScope = make('invalid_scope', 400);
// RFC 8628 §3.5: device access token polling answers (400 like RFC 6749 §5.2).
export const authorizationPending = make('authorization_pending', 400);
export const slowDown = make('slow_down', 400);
export const accessDenied = make('access_denied', 400);
export const expiredToken = make('expired_token', 400);
// RFC 7591 §3.2.2
export const invalidRedirectUri = make('invalid_redirect_uri', 400);
export const invalidClientMetadata = make('invalid_client_metadata', 400);

/**
 * RFC 6749 §5.2: 401 with WWW-Authenticate naming the scheme the client used (Basic when it
 * sent an Authorization header).
 */
export function invalidClient(description: string, scheme: 'Basic' | 'Bearer' | undefined = 'Basic'): OAuthError {
  const headers: Record<string, string> = scheme ? { 'www-authenticate': `${scheme} realm="gatehouse"` } : {};
  return new OAuthError('invalid_client', 401, description, { headers });
}

/** RFC 6750 §3.1 */
export function invalidToken(description: string): OAuthError {
  const safe = description.replace(/["\\]/g, '');
  return new OAuthError('invalid_token', 401, description, {
    headers: { 'www-authenticate': `Bearer realm="gatehouse", error="invalid_token", error_description="${safe}"` },
  });
}

/** RFC 6750 §3.1: the token is valid but does not carry what the resource needs. */
export function insufficientScope(description: string, extra?: Record<string, string>): OAuthError {
  const safe = description.replace(/["\\]/g, '');
  return new OAuthError('insufficient_scope', 403, description, {
    ...(extra ? { extra } : {}),
    headers: {
      'www-authenticate': `Bearer realm="gatehouse", error="insufficient_scope", error_description="${safe}"`,
    },
  });
}

export const unauthorized = make('unauthorized', 401);
export const forbidden = make('forbidden', 403);
export const notFound = make('not_found', 404);
export const payloadTooLarge = make('payload_too_large', 413);
export const unsupportedMediaType = make('unsupported_media_type', 415);
export const upstreamUnavailable = make('upstream_unavailable', 502);
export const unavailable = make('unavailable', 503);
export const serverError = make('server_error', 500);

export function conflict(description: string, code = 'conflict'): OAuthError {
  return new OAuthError(code, 409, description);
}

export function tooManyRequests(
  retryAfterSeconds: number,
  description = 'too many requests; try again later',
): OAuthError {
  return new OAuthError('too_many_requests', 429, description, {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
}

export function errorBody(err: OAuthError) {
  return { ...err.extra, success: false as const, error: err.error, error_description: err.description };
}
