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
