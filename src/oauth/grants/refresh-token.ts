import { sha256Hex } from '../../crypto/hash.js';
import { randomToken } from '../../crypto/random.js';
import { refreshTokensRepository, type RefreshTokenRecord } from '../../repositories/refresh-tokens.js';
import { tokenFamiliesRepository, type RevokedFamily } from '../../repositories/token-families.js';
import { findUserClaims } from '../../repositories/user-claims.js';
import type { Queryable } from '../../storage/database.js';
import { invalidGrant, invalidRequest } from '../errors.js';
import { issueUserTokens } from '../issue-user-tokens.js';
import { parseScope, requireSubset } from '../scopes.js';
import type { Client } from '../../clients/client.js';
import type { Grant, GrantDeps, TokenResponse } from './grant.js';

const MAX_TOKEN_LENGTH = 256;
const INVALID = 'refresh token is invalid, expired or revoked';

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every use returns a new refresh token, and
 * presenting one that was already rotated revokes the whole family. With
 * security.refresh_token_grace_seconds > 0 the immediately previous token may be retried once
 * within that window, for clients that lost a response (Hydra's graceful rotation).
 */
export const refreshTokenGrant: Grant = {
  grantType: 'refresh_token',
  parameters: new Set(['refresh_token', 'scope']),
  handler: ({ client, params, deps }) => rotateRefreshToken(deps, client, params.refresh_token, params.scope),
};

/** Who is refreshing: the authenticated client (token endpoint) or the login client (/api/refresh). */
interface RotationContext {
  client: Client;
  deps: GrantDeps;
}

/**
 * The whole refresh: validate the presented token for this client, rotate it, and on reuse of a
 * rotated token revoke its family and deny the family's access tokens. The token endpoint's grant
 * and POST /api/refresh both call this, so the rules cannot drift apart.
 */
export async function rotateRefreshToken(
  deps: GrantDeps,
  client: Client,
  presented: string | undefined,
  scope: string | undefined,
): Promise<TokenResponse> {
  const ctx: RotationContext = { client, deps };
  if (!presented) throw invalidRequest('refresh_token is required');
  if (presented.length > MAX_TOKEN_LENGTH) throw invalidGrant(INVALID);
  const requested = parseScope(scope);
  const tokenHash = sha256Hex(presented);

  const outcome = await deps.db.transaction(async (tx): Promise<{ response: TokenResponse } | { reused: RevokedFamily | null }> => {
    const familyId = await refreshTokensRepository.lockFamilyOf(tx, tokenHash);
    const record = familyId ? await refreshTokensRepository.find(tx, tokenHash) : null;
    if (!record) throw invalidGrant(INVALID);
    // RFC 6749 §6: "validate the refresh token ... and ensure that the refresh token was issued
    // to the authenticated client". Another client's token changes nothing.
    if (record.client_id !== client.id) throw invalidGrant(INVALID);
    if (record.family_revoked_at) throw invalidGrant(INVALID);
    if (record.rotated_at) {
      const retried = await retryWithinGrace(tx, ctx, record, requested);
      if (retried) return { response: retried };
      return { reused: await tokenFamiliesRepository.revoke(tx, record.family_id, 'refresh_token_reuse') };
    }
    if (record.expires_at.getTime() <= Date.now()) throw invalidGrant(INVALID);
    const rotate = deps.config.security.refresh_token_rotation;
    const issued = await refreshFrom(tx, ctx, record, requested, rotate ? 'new' : presented);
    if (rotate) await refreshTokensRepository.markRotated(tx, tokenHash, sha256Hex(issued.refresh_token!));
    return { response: issued };
  });

  if ('reused' in outcome) {
    if (outcome.reused) await deps.denyList.denyFamily(outcome.reused.id, outcome.reused.access_expires_at);
    deps.emit({ event: 'reuse_detected', client_id: client.id, details: { family_id: outcome.reused?.id ?? null } });
    throw invalidGrant('refresh token was already used; the grant has been revoked');
  }
  deps.emit({ event: 'refresh', client_id: client.id, details: { grant_type: 'refresh_token' } });
  return outcome.response;
}

async function refreshFrom(
  tx: Queryable,
  { client, deps }: RotationContext,
  record: RefreshTokenRecord,
  requested: string[],
  refresh: 'new' | string,
): Promise<TokenResponse> {
  const original = parseScope(record.scope);
  // RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted".
  requireSubset(requested, original, 'scope exceeds the original grant');
  const user = record.user_id ? await findUserClaims(tx, record.user_id) : null;
  if (!user) throw invalidGrant(INVALID);
  return issueUserTokens(tx, deps, {
    client,
    user,
    scopes: requested.length > 0 ? requested : original,
    familyId: record.family_id,
    newFamily: false,
    refresh,
    refreshScopes: original,
  });
}

/** The one allowed retry of the previous token: rotates the current head and spends the grace. */
async function retryWithinGrace(
  tx: Queryable,
  ctx: RotationContext,
  record: RefreshTokenRecord,
  requested: string[],
): Promise<TokenResponse | null> {
  const graceMs = ctx.deps.config.security.refresh_token_grace_seconds * 1000;
  if (graceMs === 0 || record.grace_used || !record.replaced_by || !record.rotated_at) return null;
  if (Date.now() - record.rotated_at.getTime() > graceMs) return null;
  const head = await refreshTokensRepository.find(tx, record.replaced_by);
  if (!head || head.rotated_at) return null;
  const issued = await refreshFrom(tx, ctx, record, requested, 'new');
  const newHash = sha256Hex(issued.refresh_token!);
  // The head's response was lost: it is rotated away and may not claim a grace retry of its own.
  await refreshTokensRepository.markRotated(tx, head.token_hash, newHash);
  await refreshTokensRepository.spendGrace(tx, head.token_hash, newHash);
  await refreshTokensRepository.spendGrace(tx, record.token_hash, newHash);
  return issued;
}
