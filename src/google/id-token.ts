import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { constantTimeEqual } from '../crypto/hash.js';
import { GoogleError } from './errors.js';
import { idTokenClaimsSchema, type GoogleIdTokenClaims } from './responses.js';
import type { GoogleSettings } from './settings.js';

const GOOGLE_ISSUER = 'https://accounts.google.com';
/** Allowed difference between Google's clock and ours, for exp and iat. */
export const ID_TOKEN_CLOCK_SKEW_SECONDS = 5;
/**
 * The oldest iat accepted. Google's ID tokens live one hour (exp = iat + 3600): one that claims
 * to be older than that was not issued the way Google issues them, whatever its exp says.
 */
export const ID_TOKEN_MAX_AGE_SECONDS = 3600;

export interface IdTokenVerifyOptions {
  /**
   * Other Google client ids of the same product (google.allowed_audiences: its Android, iOS or
   * desktop clients) accepted as aud and azp besides ours. Browser sign-in passes none.
   */
  extraAudiences?: readonly string[];
}

/**
 * Verifies a Google ID token as OIDC Core §3.1.3.7 asks, against keys fetched from the JWKS URL
 * (cached by jose, refetched when an unknown kid appears).
 */
export function createIdTokenVerifier(settings: GoogleSettings) {
  let jwks: JWTVerifyGetKey | undefined;
  // Google documents both forms: "The value of iss in the ID token is equal to
  // accounts.google.com or https://accounts.google.com."
  const issuers = settings.issuer === GOOGLE_ISSUER ? [GOOGLE_ISSUER, 'accounts.google.com'] : [settings.issuer];

  return async function verifyIdToken(
    idToken: string,
    expectedNonce: string | undefined,
    opts: IdTokenVerifyOptions = {},
  ): Promise<GoogleIdTokenClaims> {
    jwks ??= createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: settings.timeoutMs });
    const audiences = [settings.clientId, ...(opts.extraAudiences ?? [])];
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(idToken, jwks, {
        // §3.1.3.7 (2) "The Issuer Identifier ... MUST exactly match the value of the iss Claim."
        issuer: issuers,
        // §3.1.3.7 (3) "The Client MUST validate that the aud Claim contains its client_id value"
        audience: audiences,
        // §3.1.3.7 (7) "The alg value SHOULD be the default of RS256" — Google signs RS256 only.
        algorithms: ['RS256'],
        // §3.1.3.7 (9) "The current time MUST be before the time represented by the exp Claim."
        requiredClaims: ['sub', 'exp', 'iat'],
        // §3.1.3.7 (10) "The iat Claim can be used to reject tokens that were issued too far away
        // from the current time": none from the future beyond the clock skew, none older than
        // Google's token lifetime (jose checks both directions of maxTokenAge).
        maxTokenAge: ID_TOKEN_MAX_AGE_SECONDS,
        clockTolerance: ID_TOKEN_CLOCK_SKEW_SECONDS,
      }));
    } catch (err) {
      throw verificationError(err);
    }
    const parsed = idTokenClaimsSchema.safeParse(payload);
    if (!parsed.success) throw new GoogleError('invalid_response', 'id_token', 'claims have an unexpected shape');
    const claims = parsed.data;
    // §3.1.3.7 (4)/(5): with several audiences azp must be present; when present it must be us.
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && !claims.azp) {
      throw new GoogleError('invalid_response', 'id_token', 'several audiences and no azp');
    }
    if (claims.azp !== undefined && !audiences.includes(claims.azp)) {
      throw new GoogleError('invalid_response', 'id_token', 'azp is another client');
    }
    // §3.1.3.7 (11) "If a nonce value was sent in the Authentication Request, a nonce Claim MUST
    // be present and its value checked to verify that it is the same value as the one that was
    // sent in the Authentication Request."
    if (
      expectedNonce !== undefined &&
      (claims.nonce === undefined || !constantTimeEqual(claims.nonce, expectedNonce))
    ) {
      throw new GoogleError('invalid_response', 'id_token', 'nonce does not match the authentication request');
    }
    return claims;
  };
}

function verificationError(err: unknown): GoogleError {
  if (err instanceof joseErrors.JWKSTimeout) {
    return new GoogleError('unavailable', 'jwks', 'no answer from the JWKS endpoint in time', { cause: err });
  }
  if (err instanceof joseErrors.JOSEError) {
    // jose's codes (ERR_JWT_EXPIRED, ERR_JWT_CLAIM_VALIDATION_FAILED, …) and claim names are
    // safe; its messages never quote the token.
    const claim =
      err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JWTExpired
        ? ` (${err.claim})`
        : '';
    return new GoogleError('invalid_response', 'id_token', `verification failed: ${err.code}${claim}`, { cause: err });
  }
  // fetch of the JWKS failed below jose (connection refused, reset)
  return new GoogleError('unavailable', 'jwks', 'could not fetch the signing keys', { cause: err });
}
