import type { User } from '../repositories/users.js';

/**
 * The seed service's /user/info body (product rule "Users"); timestamp is unix seconds. Only what the
 * token's scopes cover (OIDC Core §5.4): `profile` the names and username, `email` the address
 * and whether it is verified; a token with neither gets an empty user_data.
 */
export function userInfoResponse(user: User, scopes: readonly string[]) {
  const profile = scopes.includes('profile');
  const email = scopes.includes('email');
  return {
    success: true as const,
    user_data: {
      ...(profile
        ? { first_name: user.firstName, last_name: user.lastName, username: user.username, two_factor: user.twoFactor }
        : {}),
      ...(email ? { verified: user.emailVerified, email: user.email } : {}),
    },
    timestamp: Math.floor(Date.now() / 1000),
  };
}
