import type { User } from '../repositories/users.js';

/** The seed service's /user/info body (SPEC "Users"); timestamp is unix seconds. */
export function userInfoResponse(user: User) {
  return {
    success: true as const,
    user_data: {
      first_name: user.firstName,
      last_name: user.lastName,
      username: user.username,
      two_factor: user.twoFactor,
      verified: user.emailVerified,
      email: user.email,
    },
    timestamp: Math.floor(Date.now() / 1000),
  };
}
