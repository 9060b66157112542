import type { StagedAuditEvent } from '../../audit/audit-log.js';
import { sha256Hex } from '../../crypto/hash.js';
import { randomId, randomToken } from '../../crypto/random.js';
import type { Repositories } from '../../repositories/index.js';
import type { RefreshTokenWithUser, Rotation } from '../../repositories/refresh-tokens.js';
import type { RevokedFamily } from '../../repositories/token-families.js';
import type { Database, Queryable } from '../../storage/database.js';
import type { DenyList } from '../deny-list.js';
import { invalidGrant, invalidRequest } from '../errors.js';
import {
  issueUserTokens,
  mintUserTokens,
  type IssueUserTokensDeps,
  type MintedUserTokens,
  type UserTokenInput,
} from '../issue-user-tokens.js';
import { parseScope, requireSubset } from '../scopes.js';
import type { Client } from '../../clients/client.js';
import type { EmitGrantEvent, Grant, GrantEvent, TokenResponse } from './grant.js';

/** What a refresh uses: the token endpoint's grant and POST /api/refresh hand over the same. */
export interface RefreshTokenDeps extends IssueUserTokensDeps {
  db: Pick<Database, 'transaction'>;
  repos: Pick<Repositories, 'refreshTokens' | 'tokenFamilies'>;
  denyList: Pick<DenyList, 'denyFamily'>;
  emit: EmitGrantEvent;
  /**
   * The same audit sink as emit, for an event whose row the rotation statement writes itself
   * (AuditLog.stage): the normal refresh commits its rotation and its event together.
   */
  stageEvent: (event: GrantEvent) => StagedAuditEvent;
}

const MAX_TOKEN_LENGTH = 256;
const INVALID = 'refresh token is invalid, expired or revoked';

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every use returns a new refresh token, and
 * presenting one that was already rotated revokes the whole family. With
 * security.refresh_token_grace_seconds > 0 the immediately previous token may be retried once
 * within that window, for clients that lost a response (Hydra's graceful rotation).
 */
export const refreshTokenGrant: Grant<RefreshTokenDeps> = {
  grantType: 'refresh_token',
  parameters: new Set(['refresh_token', 'scope']),
  handler: ({ client, params, deps }) => rotateRefreshToken(deps, client, params.refresh_token, params.scope),
};

/** Who is refreshing: the authenticated client (token endpoint) or the login client (/api/refresh). */
interface RotationContext {
  client: Client;
  deps: RefreshTokenDeps;
}

/**
 * What a refresh came to. `retired`: a grace retry moved the grant to a new family and revoked
 * the old one, whose access tokens (the lost response's among them) must be denied. `audited`:
 * the refresh event was committed with the rotation (the one-statement path).
 */
type Outcome =
  { response: TokenResponse; retired?: RevokedFamily | null; audited?: boolean } | { reused: RevokedFamily | null };

/**
 * The whole refresh: validate the presented token for this client, rotate it, and on reuse of a
 * rotated token revoke its family and deny the family's access tokens. The token endpoint's grant
 * and POST /api/refresh both call this, so the rules cannot drift apart.
 */
export async function rotateRefreshToken(
  deps: RefreshTokenDeps,
  client: Client,
  presented: string | undefined,
  scope: string | undefined,
): Promise<TokenResponse> {
  const ctx: RotationContext = { client, deps };
  if (!presented) throw invalidRequest('refresh_token is required');
  if (presented.length > MAX_TOKEN_LENGTH) throw invalidGrant(INVALID);
  const requested = parseScope(scope);
  const tokenHash = sha256Hex(presented);

  const outcome =
    (await rotateInOneStatement(ctx, tokenHash, requested)) ??
    (await deps.db.transaction((tx) => rotateUnderFamilyLock(tx, ctx, presented, tokenHash, requested)));

  if ('reused' in outcome) {
    if (outcome.reused) await deps.denyList.denyFamily(outcome.reused.id, outcome.reused.access_expires_at);
    deps.emit({ event: 'reuse_detected', client_id: client.id, details: { family_id: outcome.reused?.id ?? null } });
    throw invalidGrant('refresh token was already used; the grant has been revoked');
  }
  if (outcome.retired) await deps.denyList.denyFamily(outcome.retired.id, outcome.retired.access_expires_at);
  if (!outcome.audited) deps.emit(refreshEvent(client));
  return outcome.response;
}

function refreshEvent(client: Client): GrantEvent {
  return { event: 'refresh', client_id: client.id, details: { grant_type: 'refresh_token' } };
}

/**
 * The common case (an unrotated token, no scope parameter, rotation on) in one statement and one
 * round trip: refreshTokens.findAndRotate reads the token and rotates it when it may,
 * atomically, and says why that is safe under concurrency. The tokens are signed after it
 * returns, with the iat fixed beforehand so the access token expires exactly when the family's
 * stored access expiry says; the response still leaves only after the rows are committed. The
 * refresh's audit event is inserted by the same statement when it rotates (committed with the
 * rotation, one commit to wait for); its file line is queued after, before the response.
 * Refusals that no later change can undo (unknown token, another client's, revoked family,
 * expired, no user) are final here. null means "decide under the family lock": the token was
 * already rotated (reuse, or a grace retry), a scope parameter must be checked before anything is
 * written, rotation is off, or the rotation lost to a concurrent use, revocation or deletion; the
 * locked path then sees what won and answers exactly as if this attempt had not been made.
 */
async function rotateInOneStatement(
  ctx: RotationContext,
  tokenHash: string,
  requested: string[],
): Promise<Outcome | null> {
  const { client, deps } = ctx;
  if (!deps.config.security.refresh_token_rotation || requested.length > 0) return null;
  const now = Date.now();
  const issuedAt = Math.floor(now / 1000);
  const refreshToken = randomToken();
  const accessSeconds = deps.config.security.access_token_expiry_minutes * 60;
  const event = deps.stageEvent(refreshEvent(client));
  const result = await deps.repos.refreshTokens.findAndRotate({
    token_hash: tokenHash,
    client_id: client.id,
    new_hash: sha256Hex(refreshToken),
    expires_at: new Date(now + deps.config.security.refresh_token_expiry_days * 86_400_000),
    access_expires_at: new Date((issuedAt + accessSeconds) * 1000),
    // One access-token lifetime of headroom: a client refreshing once per lifetime writes the
    // family row on every other rotation, one refreshing faster less often still.
    extend_access_to: new Date((issuedAt + 2 * accessSeconds) * 1000),
    now: new Date(now),
    audit: event.record,
  });
  const record = usable(result?.token ?? null, client);
  if (!result!.rotated) {
    if (record.rotated_at) return null;
    refuseExpired(record, now);
    if (!record.user) throw invalidGrant(INVALID);
    return null;
  }
  event.stored();
  const minted = await mintUserTokens(deps, { ...tokenInput(client, record, requested, refreshToken), issuedAt });
  return { response: minted.response, audited: true };
}

/**
 * Everything else, under the family row's lock (the one lock every change to a family's tokens
 * takes first, so concurrent uses, reuse detection and revocation queue): reuse of a rotated
 * token, the grace retry, a scope parameter, rotation off, and the losers of a race.
 */
async function rotateUnderFamilyLock(
  tx: Queryable,
  ctx: RotationContext,
  presented: string,
  tokenHash: string,
  requested: string[],
): Promise<Outcome> {
  const familyId = await ctx.deps.repos.refreshTokens.lockFamilyOf(tokenHash, tx);
  // A second statement, after the lock: under READ COMMITTED each statement reads a snapshot taken
  // when it starts, so reading the token inside the locking SELECT would see rotated_at as it was
  // before the lock wait, i.e. miss the rotation that just committed.
  const record = usable(familyId ? await ctx.deps.repos.refreshTokens.findWithUser(tokenHash, tx) : null, ctx.client);
  if (record.rotated_at) {
    const retried = await retryWithinGrace(tx, ctx, record, requested);
    if (retried) return retried;
    return { reused: await ctx.deps.repos.tokenFamilies.revoke(record.family_id, 'refresh_token_reuse', tx) };
  }
  refuseExpired(record);
  if (!ctx.deps.config.security.refresh_token_rotation) {
    return { response: await issueUserTokens(tx, ctx.deps, tokenInput(ctx.client, record, requested, presented)) };
  }
  const minted = await mintUserTokens(ctx.deps, tokenInput(ctx.client, record, requested, 'new'));
  // With the family locked and the token read after the lock, only a deletion (the user's, by
  // cascade) can make this compare-and-set miss; the token is gone then.
  if (!(await ctx.deps.repos.refreshTokens.rotate(rotationOf(ctx.client, record, minted), tx)))
    throw invalidGrant(INVALID);
  return { response: minted.response };
}

/** The refusals every path makes first; another client's token changes nothing. */
function usable(record: RefreshTokenWithUser | null, client: Client): RefreshTokenWithUser {
  if (!record) throw invalidGrant(INVALID, { detail: 'no such refresh token' });
  // RFC 6749 §6: "validate the refresh token ... and ensure that the refresh token was issued
  // to the authenticated client".
  if (record.client_id !== client.id) throw invalidGrant(INVALID, { detail: 'refresh token of another client' });
  if (record.family_revoked_at) throw invalidGrant(INVALID, { detail: 'the token family is revoked' });
  return record;
}

function refuseExpired(record: RefreshTokenWithUser, now = Date.now()): void {
  if (record.expires_at.getTime() <= now) throw invalidGrant(INVALID, { detail: 'refresh token expired' });
}

/** What to sign for a refresh of `record`; checks the requested scope against the grant. */
function tokenInput(
  client: Client,
  record: RefreshTokenWithUser,
  requested: string[],
  refresh: 'new' | string,
): UserTokenInput {
  const original = parseScope(record.scope);
  // RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted".
  requireSubset(requested, original, 'scope exceeds the original grant');
  if (!record.user) throw invalidGrant(INVALID);
  return {
    client,
    user: record.user,
    scopes: requested.length > 0 ? requested : original,
    familyId: record.family_id,
    newFamily: false,
    refresh,
    refreshScopes: original,
    ...(record.family_auth_time ? { authTime: new Date(record.family_auth_time) } : {}),
  };
}

function rotationOf(client: Client, record: RefreshTokenWithUser, minted: MintedUserTokens): Rotation {
  const next = minted.refresh!;
  return {
    token_hash: record.token_hash,
    family_id: record.family_id,
    client_id: client.id,
    new_hash: next.token_hash,
    scope: next.scope,
    expires_at: next.expires_at,
    access_expires_at: minted.accessExpiresAt,
  };
}

/**
 * The one allowed retry of the previous token, for a client whose response was lost: only while
 * that token is unexpired and within the grace window. The lost response's access token was
 * issued in the grant's family and cannot be told apart from its others by anything it carries,
 * so the grant moves to a new family (its refresh tokens and the code it came from with it) and
 * the old family is revoked: every access token issued before this retry is denied until it
 * expires, the lost one included, and the retry's tokens live in the new family. The head whose
 * response was lost is rotated away and may not claim a grace retry of its own.
 */
async function retryWithinGrace(
  tx: Queryable,
  ctx: RotationContext,
  record: RefreshTokenWithUser,
  requested: string[],
): Promise<{ response: TokenResponse; retired: RevokedFamily | null } | null> {
  const graceMs = ctx.deps.config.security.refresh_token_grace_seconds * 1000;
  if (graceMs === 0 || record.grace_used || !record.replaced_by || !record.rotated_at) return null;
  const now = Date.now();
  if (now - record.rotated_at.getTime() > graceMs) return null;
  // An expired token earns no retry (RFC 6749 §6: the refresh token must be valid).
  if (record.expires_at.getTime() <= now) return null;
  const head = await ctx.deps.repos.refreshTokens.find(record.replaced_by, tx);
  if (!head || head.rotated_at) return null;
  const familyId = randomId();
  const response = await issueUserTokens(tx, ctx.deps, {
    ...tokenInput(ctx.client, record, requested, 'new'),
    familyId,
    newFamily: true,
  });
  const newHash = sha256Hex(response.refresh_token!);
  await ctx.deps.repos.refreshTokens.markRotated(head.token_hash, newHash, tx);
  await ctx.deps.repos.refreshTokens.spendGrace(head.token_hash, newHash, tx);
  await ctx.deps.repos.refreshTokens.spendGrace(record.token_hash, newHash, tx);
  await ctx.deps.repos.refreshTokens.moveToFamily(record.family_id, familyId, tx);
  const retired = await ctx.deps.repos.tokenFamilies.revoke(record.family_id, 'refresh_grace_retry', tx);
  return { response, retired };
}
