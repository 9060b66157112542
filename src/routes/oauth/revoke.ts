import type { FastifyPluginAsync } from 'fastify';
import type { Client } from '../../clients/client.js';
import { sha256Hex } from '../../crypto/hash.js';
import { OAuthError, invalidRequest } from '../../oauth/errors.js';
import { readParams } from '../../oauth/form-params.js';

const MAX_TOKEN_LENGTH = 8192;

/**
 * POST /oauth/revoke (RFC 7009). Revoking a refresh token ends its family and every access token
 * issued in it; revoking an access token denies its jti until it expires. Unknown tokens, and
 * tokens of other clients, answer 200 and change nothing (§2.2).
 */
export const revokeRoute: FastifyPluginAsync = async (app) => {
  /** true when the token was recognised as a refresh token (whoever it belonged to). */
  async function revokeRefreshToken(token: string, client: Client): Promise<boolean> {
    const hash = sha256Hex(token);
    const revoked = await app.db.transaction(async (tx) => {
      const familyId = await app.repos.refreshTokens.lockFamilyOf(hash, tx);
      if (!familyId) return null;
      const record = await app.repos.refreshTokens.find(hash, tx);
      if (!record || record.client_id !== client.id) return 'not-yours' as const;
      return app.repos.tokenFamilies.revoke(familyId, 'revoked_by_client', tx);
    });
    if (revoked && revoked !== 'not-yours') {
      await app.denyList.denyFamily(revoked.id, revoked.access_expires_at);
      app.audit({
        event: 'revoke',
        client_id: client.id,
        details: { family_id: revoked.id, token_type: 'refresh_token' },
      });
    }
    return revoked !== null;
  }

  async function revokeAccessToken(token: string, client: Client): Promise<boolean> {
    let claims;
    try {
      claims = await app.tokens.verifyAccessToken(token);
    } catch (err) {
      if (err instanceof OAuthError) return false;
      throw err;
    }
    if (claims.client_id !== client.id) return true;
    const expiresAt = new Date(claims.exp * 1000);
    await app.repos.revokedAccessTokens.insert(claims.jti, expiresAt);
    await app.denyList.denyJti(claims.jti, expiresAt);
    app.audit({
      event: 'revoke',
      client_id: client.id,
      subject: claims.sub,
      details: { jti: claims.jti, token_type: 'access_token' },
    });
    return true;
  }

  app.post('/oauth/revoke', async (request) => {
    const { client } = await app.authenticateClient(request);
    const params = readParams(request.body);
    // token REQUIRED (RFC 7009 §2.1)
    const token = params.token;
    if (!token) throw invalidRequest('token is required');
    if (token.length <= MAX_TOKEN_LENGTH) {
      // token_type_hint only decides the order of the lookups (§2.1: the server may ignore it).
      const order =
        params.token_type_hint === 'access_token'
          ? [revokeAccessToken, revokeRefreshToken]
          : [revokeRefreshToken, revokeAccessToken];
      for (const attempt of order) if (await attempt(token, client)) break;
    }
    return { success: true };
  });
};
