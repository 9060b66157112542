import type { Config } from '../config/schema.js';
import { sha256Hex } from '../crypto/hash.js';
import { randomToken } from '../crypto/random.js';
import type { AuthorizationCodesRepository } from '../repositories/authorization-codes.js';
import type { AuthorizationRequest } from './authorization-request.js';

/**
 * Mints an authorization code for an approved request: 32 random bytes, stored only as SHA-256,
 * bound to the client, user, redirect_uri (when sent), scopes, PKCE challenge and nonce.
 */
export async function issueAuthorizationCode(
  deps: { authorizationCodes: AuthorizationCodesRepository; config: Config },
  request: AuthorizationRequest,
  user: { id: string; authTime?: Date },
): Promise<string> {
  const code = randomToken();
  await deps.authorizationCodes.insert({
    code_hash: sha256Hex(code),
    client_id: request.client.id,
    user_id: user.id,
    // RFC 6749 §4.1.3: the token request must repeat redirect_uri only when it was sent here.
    redirect_uri: request.redirectUriSent ? request.redirectUri : null,
    scope: request.scopes.join(' '),
    code_challenge: request.codeChallenge ?? null,
    code_challenge_method: request.codeChallenge ? 'S256' : null,
    nonce: request.nonce ?? null,
    auth_time: user.authTime,
    expires_at: new Date(Date.now() + deps.config.security.authorization_code_ttl_seconds * 1000),
  });
  return code;
}
