/**
 * Why a client call failed, as a stable code an application can branch on:
 * - `not_logged_in`: no stored session; call login().
 * - `session_ended`: the server refused the refresh token (revoked or expired); storage was
 *   cleared and `logout` was emitted.
 * - `login_timeout`: the browser never came back to the loopback redirect in time, or the
 *   device code expired before the person approved it (loginWithDevice).
 * - `login_failed`: the authorization response was an error or failed validation.
 * - `no_user_claims`: neither the userinfo endpoint nor an ID token could describe the user.
 */
export type GatehouseClientErrorCode =
  'not_logged_in' | 'session_ended' | 'login_timeout' | 'login_failed' | 'no_user_claims';

export class GatehouseClientError extends Error {
  override name = 'GatehouseClientError';
  constructor(
    readonly code: GatehouseClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const notLoggedIn = () => new GatehouseClientError('not_logged_in', 'not logged in: call login() first');
export const sessionEnded = (why: string, cause?: unknown) =>
  new GatehouseClientError('session_ended', `the session has ended: ${why}`, { cause });
export const loginTimeout = (ms: number) =>
  new GatehouseClientError('login_timeout', `the browser did not return to the application within ${ms} ms`);
export const loginFailed = (why: string, cause?: unknown) =>
  new GatehouseClientError('login_failed', `login failed: ${why}`, { cause });
export const noUserClaims = (why: string) => new GatehouseClientError('no_user_claims', why);
