/** What tokens say about a user: the username and the OIDC standard claims. */
export interface UserClaims {
  id: string;
  username: string;
  email: string | null;
  email_verified: boolean;
  name: string | null;
  first_name: string | null;
  last_name: string | null;
  picture: string | null;
}

/**
 * The users columns behind UserClaims except the id, for a query that joins users as `u` (the
 * refresh grant reads them with its token, in the same round trip).
 */
export const USER_CLAIM_COLUMNS = 'u.username, u.email, u.email_verified, u.name, u.first_name, u.last_name, u.picture';

/** OIDC Core §5.4: claims released for the granted scopes. */
export function standardClaims(user: UserClaims, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('email') && user.email) {
    claims.email = user.email;
    claims.email_verified = user.email_verified;
  }
  if (scopes.includes('profile')) {
    const put = (k: string, v: string | null) => {
      if (v) claims[k] = v;
    };
    put('name', user.name ?? ([user.first_name, user.last_name].filter(Boolean).join(' ') || null));
    put('given_name', user.first_name);
    put('family_name', user.last_name);
    put('picture', user.picture);
    claims.preferred_username = user.username;
  }
  return claims;
}
