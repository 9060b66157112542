import type { HeldToken } from './token-cache.js';

/** product rule "Broker": `{success, access_token, token_type, expires_in, expiry, scope, subject}`. */
export interface BrokerResponse {
  success: true;
  access_token: string;
  token_type: 'Bearer';
  /** Remaining lifetime in whole seconds. */
  expires_in: number;
  /** Unix seconds. */
  expiry: number;
  scope: string;
  /** Canonical: the user id or the connection id. */
  subject: string;
}

export function brokerResponse(token: HeldToken, now = Date.now()): BrokerResponse {
  const expiresAt = token.expiresAt.getTime();
  return {
    success: true,
    access_token: token.accessToken,
    token_type: 'Bearer',
    expires_in: Math.max(0, Math.floor((expiresAt - now) / 1000)),
    expiry: Math.floor(expiresAt / 1000),
    scope: token.scope,
    subject: token.subject,
  };
}
