import { sha256Hex } from '../../crypto/hash.js';
import { randomId } from '../../crypto/random.js';
import type { Repositories } from '../../repositories/index.js';
import type { RevokedFamily } from '../../repositories/token-families.js';
import type { Database } from '../../storage/database.js';
import type { DenyList } from '../deny-list.js';
import { invalidGrant, invalidRequest } from '../errors.js';
import { issueUserTokens, type IssueUserTokensDeps } from '../issue-user-tokens.js';
import { verifyS256 } from '../pkce.js';
import { parseScope } from '../scopes.js';
import type { EmitGrantEvent, Grant, TokenResponse } from './grant.js';

export interface AuthorizationCodeDeps extends IssueUserTokensDeps {
  db: Pick<Database, 'transaction'>;
  repos: Pick<Repositories, 'authorizationCodes' | 'tokenFamilies' | 'refreshTokens' | 'users'>;
  denyList: Pick<DenyList, 'denyFamily'>;
  emit: EmitGrantEvent;
}

const MAX_CODE_LENGTH = 256;

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636) and the replay rules of OAuth 2.1 §7.5.2 (docs/oauth-server.md).
 * The code row is locked for the transaction: concurrent redemptions queue, exactly one wins.
 */
export const authorizationCodeGrant: Grant<AuthorizationCodeDeps> = {
  grantType: 'authorization_code',
  // `authorization_code` is accepted as an alias of `code` for clients of the old service.
  parameters: new Set(['code', 'authorization_code', 'redirect_uri', 'code_verifier']),
  async handler({ client, params, deps }) {
    if (params.code !== undefined && params.authorization_code !== undefined) {
      throw invalidRequest('send the code once, as code');
    }
    const code = params.code ?? params.authorization_code;
    if (!code) throw invalidRequest('code is required');
    if (code.length > MAX_CODE_LENGTH) throw invalidGrant('authorization code is invalid or expired');
    const codeHash = sha256Hex(code);
    let userId: string | undefined;

    const outcome = await deps.db.transaction(
      async (tx): Promise<{ response: TokenResponse } | { replayed: RevokedFamily | null }> => {
        const row = await deps.repos.authorizationCodes.findForUpdate(codeHash, tx);
        if (!row) throw invalidGrant('authorization code is invalid or expired');
        userId = row.user_id;
        // "ensure that the authorization code was issued to the authenticated confidential client"
        // A mismatch changes nothing: whoever holds a leaked code must not be able to cut the real
        // client off (OAuth 2.1 §7.5.2).
        if (row.client_id !== client.id)
          throw invalidGrant('authorization code is invalid or expired', { detail: 'code of another client' });
        // "ensure that the redirect_uri parameter is present if the redirect_uri parameter was
        // included in the initial authorization request ... and if included ensure that their
        // values are identical."
        if (row.redirect_uri !== null && params.redirect_uri !== row.redirect_uri) {
          throw invalidGrant(
            params.redirect_uri === undefined
              ? 'redirect_uri is required'
              : 'redirect_uri does not match the authorization request',
          );
        }
        checkPkce(row.code_challenge, params.code_verifier, client.token_endpoint_auth_method === 'none');
        if (row.consumed_at) {
          // A second redemption with otherwise valid parameters: someone holds a copy of the code.
          // Revoke everything issued from it (RFC 6749 §4.1.2, RFC 9700 §4.5).
          const revoked = row.family_id
            ? await deps.repos.tokenFamilies.revoke(row.family_id, 'code_replay', tx)
            : null;
          return { replayed: revoked };
        }
        if (row.expires_at.getTime() <= Date.now()) throw invalidGrant('authorization code is invalid or expired');
        const user = await deps.repos.users.findClaims(row.user_id, tx);
        if (!user) throw invalidGrant('authorization code is invalid or expired');

        const familyId = randomId();
        const scopes = parseScope(row.scope);
        const response = await issueUserTokens(tx, deps, {
          client,
          user,
          scopes,
          familyId,
          newFamily: true,
          refresh: client.grant_types.includes('refresh_token') ? 'new' : undefined,
          nonce: row.nonce,
          authTime: row.auth_time,
        });
        await deps.repos.authorizationCodes.consume(codeHash, familyId, tx);
        return { response };
      },
    );

    if ('replayed' in outcome) {
      if (outcome.replayed) await deps.denyList.denyFamily(outcome.replayed.id, outcome.replayed.access_expires_at);
      deps.emit({
        event: 'code_replay',
        client_id: client.id,
        subject: userId,
        details: { family_id: outcome.replayed?.id ?? null },
      });
      throw invalidGrant('authorization code was already used; tokens issued from it have been revoked');
    }
    deps.emit({
      event: 'token_issued',
      client_id: client.id,
      subject: userId,
      details: { grant_type: 'authorization_code' },
    });
    return outcome.response;
  },
};

/** Product rule: S256 only; required when the code was bound to a challenge. */
function checkPkce(challenge: string | null, verifier: string | undefined, publicClient: boolean): void {
  if (challenge) {
    if (verifier === undefined) throw invalidGrant('code_verifier is required');
    // RFC 7636 §4.6: a mismatch is invalid_grant.
    if (!verifyS256(verifier, challenge)) throw invalidGrant('code_verifier does not match the code challenge');
    return;
  }
  if (verifier !== undefined) throw invalidRequest('code_verifier sent for a code issued without a code_challenge');
  // Authorization refuses public clients without PKCE; this only guards against a code minted
  // by some other path.
  if (publicClient) throw invalidGrant('public clients must use PKCE');
}
