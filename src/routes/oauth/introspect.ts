import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Client } from '../../clients/client.js';
import { sha256Hex } from '../../crypto/hash.js';
import { invalidClient, invalidRequest } from '../../oauth/errors.js';
import { claimsIfValid } from '../../oauth/tokens.js';
import { formParamsSchema, presentParams } from '../../oauth/form-params.js';
import { FORM, errors, ok, security } from '../../openapi/components.js';

const INACTIVE = { active: false } as const;
const MAX_TOKEN_LENGTH = 8192;

const introspectRequest = z.object({
  token: z.string().describe('The token to describe (RFC 7662 §2.1)'),
  token_type_hint: z
    .enum(['access_token', 'refresh_token'])
    .optional()
    .describe('Ignored: tokens are told apart by shape'),
  client_id: z.string().optional().describe('client_secret_post'),
  client_secret: z.string().optional().describe('client_secret_post only; prefer HTTP Basic'),
});

const introspection = z.object({
  active: z.boolean(),
  scope: z.string().optional(),
  client_id: z.string().optional(),
  username: z.string().optional(),
  token_type: z.string().optional().describe('Bearer or refresh_token'),
  exp: z.number().int().optional(),
  iat: z.number().int().optional(),
  sub: z.string().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  iss: z.string().optional(),
  jti: z.string().optional(),
});

/**
 * POST /oauth/introspect (RFC 7662). Only confidential clients may ask (401 invalid_client for a
 * public one). A client may introspect its own tokens; a client registered as a resource server
 * may introspect any. Everything else, every invalid, expired or revoked token, and every token
 * of a disabled client, is {"active": false}. When revocation state cannot be read the answer is
 * 503, never "active" (product rule: fail closed).
 */
export const introspectRoute: FastifyPluginAsyncZod = async (app) => {
  const mayIntrospect = (client: Client, owner: string) => client.resource_server || owner === client.id;

  async function introspectAccessToken(token: string, client: Client) {
    const claims = await claimsIfValid(app.tokens, token);
    if (!claims) return null;
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
    // Disabling without purge leaves the client's refresh tokens in place; the client can no
    // longer redeem them, so they are not active (product rule: ending access ends all of it).
    const owner = await app.clientStore.findById(record.client_id);
    if (!owner || owner.disabled) return INACTIVE;
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

  app.post(
    '/oauth/introspect',
    {
      schema: {
        tags: ['oauth'],
        summary: 'Describe a token (RFC 7662): confidential clients only; anything not live is {"active": false}',
        security: security.clientBasic,
        consumes: FORM,
        body: formParamsSchema,
      },
      config: {
        openapi: {
          body: introspectRequest,
          response: { 200: ok('The token, or {"active": false}', introspection), ...errors(400, 401, 415, 429, 503) },
        },
      },
    },
    async (request) => {
      const { client, method } = await app.authenticateClient(request, request.body);
      // RFC 7662 §2.1: "To prevent token scanning attacks, the endpoint MUST also require some
      // form of authorization to access this endpoint". A public client's id (the login client's
      // is well known) proves nothing, so only a confidential client may introspect.
      if (method === 'none')
        throw invalidClient('introspection requires a confidential client (client_secret_basic or client_secret_post)');
      const params = presentParams(request.body);
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
    },
  );
};
