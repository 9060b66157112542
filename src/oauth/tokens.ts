import { compactVerify, decodeProtectedHeader, errors as jose, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { AsymmetricAlgorithm } from '../crypto/signing-key-material.js';
import { signCompactJws } from '../crypto/jws-signer.js';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { sha256Hex } from '../crypto/hash.js';
import { randomToken } from '../crypto/random.js';
import { ApiError, invalidToken } from './errors.js';
import type { SigningAlgorithm, SigningKeyStore } from './signing-keys.js';

/**
 * The one module that knows what Gatehouse tokens look like (fosite's "strategy"): JWT access
 * tokens per RFC 9068 and OpenID Connect ID tokens, both signed with the store's active key.
 */

/** RFC 9068 §2.1: access tokens MUST carry typ "at+jwt" (the "application/" prefix omitted). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Leeway for clocks of other instances when checking exp and iat. */
export const CLOCK_TOLERANCE_SECONDS = 5;
/** Anything longer is not one of ours; refuse it before hashing or parsing. */
const MAX_TOKEN_LENGTH = 8192;

export interface AccessTokenClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  client_id: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  /** Present on user tokens only. */
  username?: string;
  /** Token family (grant) id, so the deny list can end a whole family. */
  fid?: string;
}

export type UserAccessTokenClaims = AccessTokenClaims & { username: string; fid: string };

/** User tokens always carry a family and a username; client tokens carry neither. */
export function isUserToken(claims: AccessTokenClaims): claims is UserAccessTokenClaims {
  return typeof claims.fid === 'string' && typeof claims.username === 'string' && claims.sub !== claims.client_id;
}

export interface IssueAccessTokenInput {
  sub: string;
  client_id: string;
  scope: string;
  username?: string;
  family_id?: string;
  /** At most security.access_token_expiry_minutes: a retired key only verifies for that long. */
  lifetimeSeconds?: number;
  /**
   * iat in unix seconds, default now: a caller that stores the token's expiry before signing it
   * (the one-statement refresh rotation) fixes it first, so exp is exactly what it stored.
   */
  issuedAt?: number;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface IssueIdTokenInput {
  sub: string;
  /** The client id (OIDC Core §2: aud MUST contain the client_id of the Relying Party). */
  aud: string;
  nonce?: string;
  /** Unix seconds of the user's authentication. */
  auth_time?: number;
  /** Extra claims (email, name, …); registered claims set here cannot be overridden by them. */
  claims?: Record<string, unknown>;
  /** The client's id_token_signed_response_alg; default security.id_token_algorithm. */
  alg?: AsymmetricAlgorithm | null;
}

export interface IdTokenHint {
  sub: string;
  aud: string[];
}

export interface TokenService {
  readonly algorithm: SigningAlgorithm;
  issueAccessToken(input: IssueAccessTokenInput): Promise<IssuedAccessToken>;
  /** The token's claims, or throws invalid_token (RFC 6750 §3.1). Does not consult the deny list. */
  verifyAccessToken(token: string): Promise<AccessTokenClaims>;
  issueIdToken(input: IssueIdTokenInput): Promise<string>;
  /**
   * The sub and aud of an ID token this server issued (OIDC Core §3.1.2.1 id_token_hint:
   * signature and issuer checked, expiry ignored), or null when it is not one.
   */
  verifyIdTokenHint(token: string): Promise<IdTokenHint | null>;
  /** The JWK Set document: public keys within their retention window (empty for HS256). */
  jwks(): { keys: JWK[] };
}

/**
 * The claims of a token that verifies, or undefined for one that does not (RFC 7009 §2.2 and
 * RFC 7662 §2.2 answer such a token without an error). Anything else, storage failing, throws.
 */
export async function claimsIfValid(
  tokens: Pick<TokenService, 'verifyAccessToken'>,
  token: string,
): Promise<AccessTokenClaims | undefined> {
  try {
    return await tokens.verifyAccessToken(token);
  } catch (err) {
    if (err instanceof ApiError) return undefined;
    throw err;
  }
}

export interface TokenServiceOptions {
  /** How many verified tokens to remember. */
  verifiedCacheSize?: number;
  /** A key store per ID token algorithm; without it, ID tokens use the access token's keys. */
  idTokenKeys?: ReadonlyMap<AsymmetricAlgorithm, SigningKeyStore>;
}

// RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED.
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

const accessTokenClaimsSchema = z.object({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  sub: z.string().min(1),
  client_id: z.string().min(1),
  // RFC 9068 §2.2.3: scope is present when the grant had one; we always issue it, maybe empty.
  scope: z.string().default(''),
  iat: z.number(),
  exp: z.number(),
  jti: z.string().min(1),
  username: z.string().optional(),
  fid: z.string().optional(),
});

/** Registered ID token claims that extra claims must not replace. */
const ID_TOKEN_RESERVED = new Set([
  'iss',
  'sub',
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
]);

interface VerifiedEntry {
  claims: AccessTokenClaims;
  kid: string;
}

export function createTokenService(
  config: Config,
  keys: SigningKeyStore,
  opts: TokenServiceOptions = {},
): TokenService {
  const issuer = config.public_url;
  const audience = config.security.access_token_audience ?? config.public_url;
  const maxLifetimeSeconds = config.security.access_token_expiry_minutes * 60;
  const algorithm = keys.algorithm;

  // Successful verifications only, keyed by the SHA-256 of the token and kept no longer than
  // the token lives. A failure is never cached: the next attempt verifies again.
  const verified = new LRUCache<string, VerifiedEntry>({ max: opts.verifiedCacheSize ?? 10_000 });

  async function issueAccessToken(input: IssueAccessTokenInput): Promise<IssuedAccessToken> {
    const lifetime = input.lifetimeSeconds ?? maxLifetimeSeconds;
    if (!Number.isInteger(lifetime) || lifetime <= 0 || lifetime > maxLifetimeSeconds) {
      // A longer token could outlive the retention window of its signing key after a rotation.
      throw new RangeError(`access token lifetime must be 1..${maxLifetimeSeconds} seconds`);
    }
    const { kid, alg, key } = keys.signingKey();
    const iat = input.issuedAt ?? nowSeconds();
    const exp = iat + lifetime;
    const jti = randomToken(16);
    // RFC 9068 §2.2 claims.
    const payload: JWTPayload = {
      iss: issuer,
      aud: audience,
      sub: input.sub,
      client_id: input.client_id,
      scope: input.scope,
      iat,
      exp,
      jti,
    };
    if (input.username !== undefined) payload.username = input.username;
    if (input.family_id !== undefined) payload.fid = input.family_id;
    const token = signCompactJws(alg, { typ: ACCESS_TOKEN_TYPE, kid }, payload, key);
    return { token, jti, iat, exp };
  }

  async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw invalidToken('the access token is malformed');
    }
    const cacheKey = sha256Hex(token);
    const hit = verified.get(cacheKey);
    // The key must still be within its window: a cached token does not outlive its key.
    if (hit && keys.verificationKey(hit.kid)) return hit.claims;

    const { claims, kid } = await verifyAccessTokenSignatureAndClaims(token);
    const ttl = claims.exp * 1000 - Date.now();
    if (ttl > 0) verified.set(cacheKey, { claims, kid }, { ttl });
    return claims;
  }

  async function verifyAccessTokenSignatureAndClaims(token: string): Promise<VerifiedEntry> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw invalidToken('the access token is malformed');
    }
    if (typeof kid !== 'string' || kid.length === 0) throw invalidToken('the access token names no signing key');
    const key = await keys.resolveVerificationKey(kid);
    if (!key) throw invalidToken('the access token is signed with an unknown or retired key');

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.key, {
        // RFC 8725 §3.1: accept exactly the algorithm we sign with. This excludes "none" and
        // stops an HS256 token keyed with our public key from passing as an RS/ES/EdDSA one.
        algorithms: [key.alg],
        typ: ACCESS_TOKEN_TYPE,
        issuer,
        audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: REQUIRED_CLAIMS,
      }));
    } catch (err) {
      throw describeVerificationFailure(err);
    }
    const parsed = accessTokenClaimsSchema.safeParse(payload);
    if (!parsed.success) throw invalidToken('the access token has malformed claims');
    const claims: AccessTokenClaims = parsed.data;
    if (claims.iat > nowSeconds() + CLOCK_TOLERANCE_SECONDS)
      throw invalidToken('the access token was issued in the future');
    // Frozen: the same object is handed to every caller that presents this token again.
    return { claims: Object.freeze(stripUndefined(claims)), kid };
  }

  const idTokenKeys = opts.idTokenKeys;
  const idTokenStore = (alg: AsymmetricAlgorithm | null | undefined): SigningKeyStore =>
    idTokenKeys?.get(alg ?? config.security.id_token_algorithm) ?? keys;
  const allStores = [...new Set([keys, ...(idTokenKeys?.values() ?? [])])];

  async function issueIdToken(input: IssueIdTokenInput): Promise<string> {
    const { kid, alg, key } = idTokenStore(input.alg).signingKey();
    const iat = nowSeconds();
    const payload: JWTPayload = {};
    for (const [name, value] of Object.entries(input.claims ?? {})) {
      if (!ID_TOKEN_RESERVED.has(name) && value !== undefined) payload[name] = value;
    }
    // OIDC Core §3.1.2.1: nonce is passed through unmodified when the request had one.
    if (input.nonce !== undefined) payload.nonce = input.nonce;
    if (input.auth_time !== undefined) payload.auth_time = input.auth_time;
    Object.assign(payload, {
      iss: issuer,
      sub: input.sub,
      aud: input.aud,
      iat,
      // Same lifetime as access tokens, so the key retention window covers ID tokens too.
      exp: iat + maxLifetimeSeconds,
    });
    return signCompactJws(alg, { typ: 'JWT', kid }, payload, key);
  }

  async function verifyIdTokenHint(token: string): Promise<IdTokenHint | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return null;
    }
    // An access token is not an ID token, whatever it says.
    if (typeof header.kid !== 'string' || header.typ === ACCESS_TOKEN_TYPE) return null;
    for (const store of allStores) {
      const key = await store.resolveVerificationKey(header.kid);
      if (!key) continue;
      try {
        // Signature only: the hint may have expired (OIDC Core §3.1.2.1).
        const { payload } = await compactVerify(token, key.key, { algorithms: [key.alg] });
        const claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
        if (claims.iss !== issuer || typeof claims.sub !== 'string' || 'client_id' in claims) return null;
        const aud =
          typeof claims.aud === 'string'
            ? [claims.aud]
            : Array.isArray(claims.aud)
              ? claims.aud.filter((a) => typeof a === 'string')
              : [];
        return { sub: claims.sub, aud };
      } catch {
        return null;
      }
    }
    return null;
  }

  return {
    algorithm,
    issueAccessToken,
    verifyAccessToken,
    issueIdToken,
    verifyIdTokenHint,
    jwks: () => {
      const seen = new Set<string>();
      const published: JWK[] = [];
      for (const store of allStores) {
        for (const jwk of store.publicJwks()) {
          if (jwk.kid && seen.has(jwk.kid)) continue;
          if (jwk.kid) seen.add(jwk.kid);
          published.push(jwk);
        }
      }
      return { keys: published };
    },
  };
}

/** A short reason for WWW-Authenticate; never the token, never key material. */
function describeVerificationFailure(err: unknown): ApiError {
  if (err instanceof jose.JWTExpired) return invalidToken('the access token expired');
  if (err instanceof jose.JWTClaimValidationFailed)
    return invalidToken(`the access token ${err.claim} claim is invalid`);
  if (err instanceof jose.JOSEAlgNotAllowed)
    return invalidToken('the access token is signed with an algorithm that is not accepted');
  if (err instanceof jose.JWSSignatureVerificationFailed) return invalidToken('the access token signature is invalid');
  return invalidToken('the access token is malformed');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
