import type { FastifyPluginAsync } from 'fastify';
import type { Client } from '../../clients/client.js';
import { sha256Hex } from '../../crypto/hash.js';
import { OAuthError, invalidClient, invalidRequest } from '../../oauth/errors.js';
import { readParams } from '../../oauth/form-params.js';

const INACTIVE = { active: false } as const;
const MAX_TOKEN_LENGTH = 8192;

/**
 * POST /oauth/introspect (RFC 7662). Only confidential clients may ask (401 invalid_client for a
 * public one). A client may introspect its own tokens; a client registered as a resource server
 * may introspect any. Everything else, and every invalid, expired or revoked
 * token, is {"active": false}. When revocation state cannot be read the answer is 503, never
 * "active" (spec: fail closed).
 */
export const introspectRoute: FastifyPluginAsync = async (app) => {
  const mayIntrospect = (client: Client, owner: string) => client.resource_server || owner === client.id;

  async function introspectAccessToken(token: string, client: Client) {
    let claims;
    try {
      claims = await app.tokens.verifyAccessToken(token);
    } catch (err) {
      if (err instanceof OAuthError) return null;
      throw err;
    }
    if (app.denyList.isDenied(claims) || !mayIntrospect(client, claims.client_id)) return INACTIVE;
    return {
      active: true,
      scope: claims.scope,
      client_id: claims.client_id,
      ...(claims.username ? { username: claims.username } : {}),
      token_type: 'Bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      jti: claims.jti,
    };
  }

  async function introspectRefreshToken(token: string, client: Client) {
    if (token.length > 256) return null;
    const record = await app.repos.refreshTokens.find(sha256Hex(token));
    if (!record) return null;
    const live = !record.rotated_at && !record.family_revoked_at && record.expires_at.getTime() > Date.now();
    if (!live || !mayIntrospect(client, record.client_id)) return INACTIVE;
    return {
      active: true,
      scope: record.scope,
      client_id: record.client_id,
      ...(record.username ? { username: record.username } : {}),
      token_type: 'refresh_token',
      exp: Math.floor(record.expires_at.getTime() / 1000),
      iat: Math.floor(record.created_at.getTime() / 1000),
      ...(record.user_id ? { sub: record.user_id } : {}),
      iss: app.config.public_url,
    };
  }

  app.post('/oauth/introspect', async (request) => {
    const { client, method } = await app.authenticateClient(request);
    // RFC 7662 §2.1: "To prevent token scanning attacks, the endpoint MUST also require some
    // form of authorization to access this endpoint". A public client's id (the login client's
    // is well known) proves nothing, so only a confidential client may introspect.
    if (method === 'none')
      throw invalidClient('introspection requires a confidential client (client_secret_basic or client_secret_post)');
    const params = readParams(request.body);
    // token REQUIRED (RFC 7662 §2.1)
    const token = params.token;
    if (!token) throw invalidRequest('token is required');
    if (token.length > MAX_TOKEN_LENGTH) return INACTIVE;
    // A JWT is recognisable by shape, so the hint is not needed to choose where to look.
    const looksLikeJwt = token.split('.').length === 3;
    const result = looksLikeJwt
      ? await introspectAccessToken(token, client)
      : await introspectRefreshToken(token, client);
    return result ?? INACTIVE;
  });
};
