import * as oauth from 'oauth4webapi';
import { noUserClaims } from './errors.js';

/** The signed-in person, as OpenID Connect standard claims (OIDC Core §5.1). */
export interface GatehouseUser {
  sub: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  preferred_username?: string;
  picture?: string;
  email?: string;
  email_verified?: boolean;
  [claim: string]: unknown;
}

/** Claims about the ID token itself, not the person: left out of the user. */
const PROTOCOL_CLAIMS = new Set([
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'auth_time',
  'azp',
  'at_hash',
  'c_hash',
  'sid',
  'acr',
  'amr',
]);

export function userFromIdTokenClaims(claims: oauth.IDToken): GatehouseUser {
  const user: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims)) if (!PROTOCOL_CLAIMS.has(k)) user[k] = v;
  return user as GatehouseUser;
}

/**
 * The user from the userinfo endpoint (OIDC Core §5.3) when the server has one. When discovery
 * names no userinfo_endpoint, or the endpoint answers 404 (a server without /userinfo yet), the
 * claims of the last ID token are used instead; oauth4webapi validated that token's iss, aud,
 * exp, iat and nonce when it arrived from the token endpoint. Any other failure is an error:
 * a 500 from userinfo must not silently turn into stale claims.
 */
export async function fetchUser(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  authorizedFetch: (url: string) => Promise<Response>,
  idTokenUser: GatehouseUser | undefined,
): Promise<GatehouseUser> {
  const fallback = (why: string) => {
    if (idTokenUser) return idTokenUser;
    throw noUserClaims(`${why}, and no ID token was received (request the openid scope)`);
  };
  if (!as.userinfo_endpoint) return fallback('the server has no userinfo_endpoint');
  const response = await authorizedFetch(as.userinfo_endpoint);
  if (response.status === 404) {
    await response.body?.cancel();
    return fallback('the userinfo endpoint answered 404');
  }
  // OIDC Core §5.3.2: "The sub Claim in the UserInfo Response MUST be verified to exactly match
  // the sub Claim in the ID Token".
  const expectedSubject = idTokenUser?.sub ?? oauth.skipSubjectCheck;
  return await oauth.processUserInfoResponse(as, client, expectedSubject, response);
}
