import type { Client } from '../clients/client.js';
import type { Config } from '../config/schema.js';
import { sha256Hex } from '../crypto/hash.js';
import { randomToken } from '../crypto/random.js';
import type { Repositories } from '../repositories/index.js';
import type { UserClaims } from '../repositories/user-claims.js';
import { standardClaims } from './standard-claims.js';
import type { Queryable } from '../storage/database.js';
import { expiresIn, type TokenResponse } from './grants/grant.js';
import { formatScope } from './scopes.js';
import type { TokenService } from './tokens.js';

/** What signing a user's tokens needs. */
export interface MintUserTokensDeps {
  tokens: TokenService;
  config: Config;
}

/** Signing, plus the rows that make the tokens revocable. */
export interface IssueUserTokensDeps extends MintUserTokensDeps {
  repos: Pick<Repositories, 'tokenFamilies' | 'refreshTokens'>;
}

export interface UserTokenInput {
  client: Client;
  user: UserClaims;
  scopes: string[];
  familyId: string;
  /** Creates the family row (a new grant) instead of extending an existing one. */
  newFamily: boolean;
  /**
   * The refresh token to hand out: 'new' mints and stores one, a string is returned as it is
   * (rotation off), undefined issues none.
   */
  refresh?: 'new' | string;
  /** Scope stored with a new refresh token (RFC 6749 §6: identical to the original grant). */
  refreshScopes?: string[];
  nonce?: string | null;
  authTime?: Date;
  /** The access token's iat (unix seconds), when the caller stored its expiry already. */
  issuedAt?: number;
}

/** Signed tokens that are not stored yet: the response is only sent once their rows commit. */
export interface MintedUserTokens {
  response: TokenResponse;
  /** When the access token expires: the family's access_expires_at must reach it. */
  accessExpiresAt: Date;
  /** The row of the new refresh token, when one was minted (input.refresh 'new'). */
  refresh?: { token_hash: string; scope: string; expires_at: Date };
}

/**
 * Mints a user's access token (with its family id), optionally a refresh token, and an ID token
 * when `openid` was granted, writing the family and refresh-token rows in the caller's
 * transaction: the response is only sent after these rows are committed.
 */
export async function issueUserTokens(
  tx: Queryable,
  deps: IssueUserTokensDeps,
  input: UserTokenInput,
): Promise<TokenResponse> {
  const { client, user, familyId } = input;
  const minted = await mintUserTokens(deps, input);
  if (input.newFamily) {
    await deps.repos.tokenFamilies.insert(
      {
        id: familyId,
        client_id: client.id,
        user_id: user.id,
        scope: minted.response.scope,
        access_expires_at: minted.accessExpiresAt,
        auth_time: input.authTime ?? null,
      },
      tx,
    );
  } else {
    await deps.repos.tokenFamilies.extendAccessExpiry(familyId, minted.accessExpiresAt, tx);
  }
  if (minted.refresh) {
    await deps.repos.refreshTokens.insert(
      {
        ...minted.refresh,
        family_id: familyId,
        client_id: client.id,
        user_id: user.id,
      },
      tx,
    );
  }
  return minted.response;
}

/**
 * Signs the tokens of issueUserTokens without touching the database, for a caller that stores
 * the rows itself (the refresh grant's rotation statements). Nothing here may be sent before the
 * caller has committed `refresh` (or the given refresh token) and the family's access expiry.
 */
export async function mintUserTokens(deps: MintUserTokensDeps, input: UserTokenInput): Promise<MintedUserTokens> {
  const { client, user, scopes, familyId } = input;
  const scope = formatScope(scopes);
  const access = await deps.tokens.issueAccessToken({
    sub: user.id,
    client_id: client.id,
    scope,
    username: user.username,
    family_id: familyId,
    ...(input.issuedAt !== undefined ? { issuedAt: input.issuedAt } : {}),
  });

  let refreshToken: string | undefined;
  let refresh: MintedUserTokens['refresh'];
  if (input.refresh === 'new') {
    refreshToken = randomToken();
    refresh = {
      token_hash: sha256Hex(refreshToken),
      scope: formatScope(input.refreshScopes ?? scopes),
      expires_at: new Date(Date.now() + deps.config.security.refresh_token_expiry_days * 86_400_000),
    };
  } else if (input.refresh) {
    refreshToken = input.refresh;
  }

  const idToken = scopes.includes('openid')
    ? await deps.tokens.issueIdToken({
        sub: user.id,
        aud: client.id,
        nonce: input.nonce ?? undefined,
        auth_time: input.authTime ? Math.floor(input.authTime.getTime() / 1000) : undefined,
        claims: standardClaims(user, scopes),
        alg: client.id_token_signed_response_alg,
      })
    : undefined;

  return {
    response: {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: expiresIn(access.exp),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      scope,
      ...(idToken ? { id_token: idToken } : {}),
      success: true,
      username: user.username,
      expiry: access.exp,
    },
    accessExpiresAt: new Date(access.exp * 1000),
    ...(refresh ? { refresh } : {}),
  };
}
