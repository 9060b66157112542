import { GoogleError, type GoogleClient, type GoogleIdTokenClaims } from '../google/client.js';
import type { GoogleProfile } from '../repositories/users.js';

/** What /api/login was given: a Google access token or a Google ID token. */
export type GoogleLoginCredential = { kind: 'access_token'; token: string } | { kind: 'id_token'; token: string };

/**
 * Google's answer rules the person out (wrong audience, expired, forged …). `reason` is a short
 * code for the audit log; it never contains the token.
 */
export class LoginRefusedError extends Error {
  override name = 'LoginRefusedError';
  constructor(
    readonly reason: string,
    readonly description: string,
    opts: { cause?: unknown } = {},
  ) {
    super(`${reason}: ${description}`, opts);
  }
}

export interface GoogleLoginDeps {
  google: GoogleClient;
  /** google.allowed_audiences: other client ids of the same product (desktop, mobile apps). */
  allowedAudiences: readonly string[];
}

/**
 * Checks a Google token presented to /api/login and returns who it identifies. Throws
 * LoginRefusedError when the token is not good for us, GoogleError (unavailable, rate limited,
 * unusable answer) when Google could not be asked.
 */
export async function verifyGoogleLogin(
  deps: GoogleLoginDeps,
  credential: GoogleLoginCredential,
): Promise<GoogleProfile> {
  return credential.kind === 'id_token' ? fromIdToken(deps, credential.token) : fromAccessToken(deps, credential.token);
}

/**
 * An access token is not an authentication: a token Google says is valid may have been issued to
 * any app the person ever used, and that app could replay it here to sign in as them (the
 * confused deputy of "sign in with an access token"). Only tokens whose audience is one of our
 * own Google client ids prove the person signed in to us.
 */
async function fromAccessToken(deps: GoogleLoginDeps, token: string): Promise<GoogleProfile> {
  const ours = new Set([deps.google.settings.clientId, ...deps.allowedAudiences]);
  const info = await refusedOnRejection(() => deps.google.tokeninfo(token));
  // Both must be ours when present: aud is who the token is for, azp who asked for it.
  if (!info.aud || !ours.has(info.aud) || (info.azp !== undefined && !ours.has(info.azp))) {
    throw new LoginRefusedError('foreign_audience', 'the Google access token was issued to another application');
  }
  const nowSeconds = Math.floor(Date.now() / 1000);
  if ((info.expires_in !== undefined && info.expires_in <= 0) || (info.exp !== undefined && info.exp <= nowSeconds)) {
    throw new LoginRefusedError('expired', 'the Google access token has expired');
  }
  if (!info.sub)
    throw new LoginRefusedError(
      'no_subject',
      'the Google access token does not identify a person (openid scope missing)',
    );

  const userinfo = await refusedOnRejection(() => deps.google.fetchUserinfo(token));
  // The same rule as OIDC Core §5.3.2: userinfo values are only used when its sub is the sub the
  // token was checked for.
  if (userinfo.sub !== info.sub)
    throw new LoginRefusedError('subject_mismatch', 'Google userinfo names another person than tokeninfo');
  return {
    sub: userinfo.sub,
    email: userinfo.email,
    emailVerified: userinfo.email_verified,
    name: userinfo.name,
    givenName: userinfo.given_name,
    familyName: userinfo.family_name,
    picture: userinfo.picture,
  };
}

/**
 * Verified locally against Google's JWKS (OIDC Core §3.1.3.7: iss, aud/azp, RS256 signature,
 * exp). No nonce: this token did not come from an authorization request of ours, which is why
 * the audience check is what binds it to us.
 */
async function fromIdToken(deps: GoogleLoginDeps, token: string): Promise<GoogleProfile> {
  let claims;
  try {
    claims = await deps.google.verifyIdToken(token, undefined, { extraAudiences: deps.allowedAudiences });
  } catch (err) {
    if (err instanceof GoogleError && err.endpoint === 'id_token') {
      throw new LoginRefusedError(
        'invalid_id_token',
        'the Google ID token is invalid, expired or not issued to this application',
        { cause: err },
      );
    }
    throw err;
  }
  return profileFromIdToken(claims);
}

/** The person as a verified Google ID token describes them (OIDC Core §5.1 standard claims). */
export function profileFromIdToken(claims: GoogleIdTokenClaims): GoogleProfile {
  return {
    sub: claims.sub,
    email: claims.email,
    emailVerified: claims.email_verified,
    name: claims.name,
    givenName: claims.given_name,
    familyName: claims.family_name,
    picture: claims.picture,
  };
}

/** Google answering 4xx about the token itself means the token is no good, not that Google is down. */
async function refusedOnRejection<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof GoogleError && (err.kind === 'rejected' || err.kind === 'invalid_grant')) {
      throw new LoginRefusedError(
        'google_rejected_token',
        'Google does not accept this access token (invalid, expired or revoked)',
        { cause: err },
      );
    }
    throw err;
  }
}
