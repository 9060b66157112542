/**
 * Why a call to Google failed, in the terms callers act on:
 * - invalid_grant: Google said the code or refresh token is no good (the user must sign in again)
 * - rate_limited: 429; retryAfter says when to try again
 * - unavailable: 5xx, timeout, connection refused or reset (worth retrying later)
 * - rejected: any other 4xx (our request or credentials are wrong)
 * - invalid_response: Google answered 2xx with something we cannot use, or an ID token failed
 *   verification
 */
export type GoogleErrorKind = 'invalid_grant' | 'rate_limited' | 'unavailable' | 'rejected' | 'invalid_response';

export type GoogleEndpoint = 'token' | 'userinfo' | 'tokeninfo' | 'jwks' | 'revoke' | 'id_token';

/**
 * The message names the endpoint, the kind and Google's error code at most; never a token, code
 * or response body, so it is safe to log and to show.
 */
export class GoogleError extends Error {
  override name = 'GoogleError';
  readonly kind: GoogleErrorKind;
  readonly endpoint: GoogleEndpoint;
  /** HTTP status Google answered with, when it answered. */
  readonly status?: number;
  /** Google's `error` code (e.g. "invalid_grant", "invalid_client"), when it sent one. */
  readonly googleError?: string;
  /** Seconds to wait before retrying (rate_limited only). */
  readonly retryAfter?: number;

  constructor(
    kind: GoogleErrorKind,
    endpoint: GoogleEndpoint,
    detail: string,
    opts: { status?: number; googleError?: string; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(`Google ${endpoint}: ${kind}: ${detail}`, { cause: opts.cause });
    this.kind = kind;
    this.endpoint = endpoint;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.googleError !== undefined) this.googleError = opts.googleError;
    if (opts.retryAfter !== undefined) this.retryAfter = opts.retryAfter;
  }
}
