import type { GoogleClient } from '../google/client.js';
import { GoogleError } from '../google/errors.js';
import type { GoogleCredential } from '../repositories/google-credentials.js';
import { recordCredentialSaved } from '../webhooks/credential-events.js';
import type { Repositories } from '../repositories/index.js';
import type { User } from '../repositories/users.js';
import { profileFromIdToken } from '../users/google-login.js';
import type { Database } from '../storage/database.js';
import type { SessionManager } from './session-manager.js';

export interface SignInDeps {
  google: Pick<GoogleClient, 'exchangeCode' | 'verifyIdToken' | 'fetchUserinfo'>;
  db: Pick<Database, 'transaction'>;
  repos: Pick<Repositories, 'users' | 'googleCredentials' | 'sessions'>;
  sessions: Pick<SessionManager, 'create' | 'forget'>;
}

export interface SignInInput {
  code: string;
  verifier: string;
  nonce: string;
  redirectUri: string;
  /** The session the browser had before, ended in the same transaction (no session fixation). */
  previousSessionHash?: string | undefined;
}

export interface SignInResult {
  user: User;
  credential: GoogleCredential;
  /** The new session id: the cookie value, held nowhere else. */
  sessionId: string;
}

/**
 * The server side of a Google callback: exchange the code (with the PKCE verifier), verify the
 * ID token (nonce included), then in one transaction upsert the person, store their Google
 * tokens encrypted, and open a session. Throws GoogleError for anything Google-side.
 */
export async function completeGoogleSignIn(deps: SignInDeps, input: SignInInput): Promise<SignInResult> {
  const tokens = await deps.google.exchangeCode(input.code, input.verifier, input.redirectUri);
  // OIDC Core §3.1.3.3: a successful token response to an openid request contains an ID token.
  if (!tokens.id_token) throw new GoogleError('invalid_response', 'token', 'no id_token in the token response');
  const claims = await deps.google.verifyIdToken(tokens.id_token, input.nonce);

  const profile = profileFromIdToken(claims);
  if (!profile.email || !profile.name) {
    // Google leaves profile claims out of some ID tokens; userinfo has them.
    const info = await deps.google.fetchUserinfo(tokens.access_token);
    // OIDC Core §5.3.2: "the sub Claim in the UserInfo Response MUST be verified to exactly
    // match the sub Claim in the ID Token; if they do not match, the UserInfo Response values
    // MUST NOT be used."
    if (info.sub !== claims.sub) throw new GoogleError('invalid_response', 'userinfo', 'sub differs from the ID token');
    profile.email ??= info.email;
    profile.emailVerified ??= info.email_verified;
    profile.name ??= info.name;
    profile.givenName ??= info.given_name;
    profile.familyName ??= info.family_name;
    profile.picture ??= info.picture;
  }

  const result = await deps.db.transaction(async (tx) => {
    const user = await deps.repos.users.upsertFromGoogle(profile, tx);
    const credential = await deps.repos.googleCredentials.save(
      { userId: user.id },
      {
        accessToken: tokens.access_token,
        expiresIn: tokens.expires_in,
        refreshToken: tokens.refresh_token,
        scope: tokens.scope,
        googleSub: claims.sub,
        email: profile.email,
      },
      tx,
    );
    await recordCredentialSaved(tx, credential);
    if (input.previousSessionHash) await deps.repos.sessions.delete(input.previousSessionHash, tx);
    const { id } = await deps.sessions.create(user.id, tx);
    return { user, credential, sessionId: id };
  });
  if (input.previousSessionHash) await deps.sessions.forget(input.previousSessionHash);
  return result;
}
