import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Client } from '../../clients/client.js';
import { sha256Hex } from '../../crypto/hash.js';
import { invalidRequest } from '../../oauth/errors.js';
import { claimsIfValid } from '../../oauth/tokens.js';
import { formParamsSchema, presentParams } from '../../oauth/form-params.js';
import { FORM, errors, ok, security } from '../../openapi/components.js';

const MAX_TOKEN_LENGTH = 8192;

const revokeRequest = z.object({
  token: z.string().describe('The refresh or access token to revoke (RFC 7009 §2.1)'),
  token_type_hint: z.enum(['refresh_token', 'access_token']).optional(),
  client_id: z.string().optional().describe('Public clients, and client_secret_post'),
  client_secret: z.string().optional().describe('client_secret_post only; prefer HTTP Basic'),
});

/**
 * POST /oauth/revoke (RFC 7009). Revoking a refresh token ends its family and every access token
 * issued in it; revoking an access token denies its jti until it expires. Unknown tokens, and
 * tokens of other clients, answer 200 and change nothing (§2.2).
 */
export const revokeRoute: FastifyPluginAsyncZod = async (app) => {
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
    const claims = await claimsIfValid(app.tokens, token);
    if (!claims) return false;
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

  app.post(
    '/oauth/revoke',
    {
      schema: {
        tags: ['oauth'],
        summary: "Revoke a token (RFC 7009); unknown tokens and other clients' tokens answer 200 and change nothing",
        security: [...security.clientBasic, {}],
        consumes: FORM,
        body: formParamsSchema,
      },
      config: {
        openapi: {
          body: revokeRequest,
          response: {
            200: ok('Revoked, or nothing to revoke', z.object({ success: z.literal(true) })),
            ...errors(400, 401, 415, 429, 503),
          },
        },
      },
    },
    async (request) => {
      const { client } = await app.authenticateClient(request, request.body);
      const params = presentParams(request.body);
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
    },
  );
};
