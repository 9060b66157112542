import type { UserClaims } from '../repositories/user-claims.js';

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
