import type { MockEndpoint } from './endpoints.js';

/**
 * How the next calls to an endpoint fail:
 * - server_error: 500 {"error": "internal_failure"}
 * - rate_limited: 429 with Retry-After (retryAfter seconds, default 1) {"error": "rate_limit_exceeded"}
 * - invalid_grant: 400 {"error": "invalid_grant", "error_description": "Bad Request"}
 * - connection_reset: the socket is destroyed without an answer
 */
export type MockFailure = 'server_error' | 'rate_limited' | 'invalid_grant' | 'connection_reset';

/**
 * Programmatic handle on a standalone mock Google, for tests that need Google to misbehave.
 * Not reachable over HTTP, in dev mode or otherwise.
 */
export interface MockGoogleControl {
  /** How many requests an endpoint has received (failed ones included). */
  calls(endpoint: MockEndpoint): number;
  /** Answer the next n calls to the token endpoint with a failure. */
  failNextToken(n: number, failure: MockFailure, opts?: { retryAfter?: number }): void;
  /** Answer the next n calls to any endpoint with a failure. */
  failNext(endpoint: MockEndpoint, n: number, failure: MockFailure, opts?: { retryAfter?: number }): void;
  /** Wait this long before answering (every endpoint, or one); 0 turns it off. */
  setLatency(ms: number, endpoint?: MockEndpoint): void;
  /** expires_in of access tokens issued from now on (default 3599, as Google). */
  setAccessTokenLifetime(seconds: number): void;
  /** Revoke a refresh token (and the grant's access tokens) as if the user removed access. */
  revokeRefreshToken(refreshToken: string): void;
  /** Make tokeninfo report another audience/authorized party for this access token. */
  setTokeninfoAudience(accessToken: string, claims: { aud?: string; azp?: string }): void;
  /** The next ID token carries a nonce other than the one in the authorization request. */
  wrongNonceOnNextIdToken(): void;
  /** Every access / refresh token issued so far, oldest first. */
  issuedAccessTokens(): string[];
  issuedRefreshTokens(): string[];
  /** The query of the latest authorization request (to assert prompt, scope, login_hint …). */
  lastAuthorizeRequest(): Record<string, string> | undefined;
  /** Forget call counts, fault injection, latency and lifetimes; issued tokens and users stay. */
  reset(): void;
}
