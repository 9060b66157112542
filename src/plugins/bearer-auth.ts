import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { forbidden, invalidToken } from '../oauth/errors.js';
import { isUserToken, type AccessTokenClaims, type UserAccessTokenClaims } from '../oauth/tokens.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Verifies `Authorization: Bearer <access token>` (signature, iss, aud, typ, expiry) and the
     * deny list; 401 invalid_token when it fails, 503 when revocation state cannot be read.
     */
    verifyBearer: (request: FastifyRequest) => Promise<AccessTokenClaims>;
    /** verifyBearer, and the token must be a user's: client_credentials tokens never pass. */
    verifyUserBearer: (request: FastifyRequest) => Promise<UserAccessTokenClaims>;
  }
}

export const bearerAuthPlugin = fp(
  async (app) => {
    const verifyBearer = async (request: FastifyRequest): Promise<AccessTokenClaims> => {
      const header = request.headers.authorization;
      const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match) throw invalidToken('a Bearer access token is required');
      const claims = await app.tokens.verifyAccessToken(match[1]!);
      if (app.denyList.isDenied(claims)) throw invalidToken('the access token has been revoked');
      return claims;
    };
    app.decorate('verifyBearer', verifyBearer);
    app.decorate('verifyUserBearer', async (request: FastifyRequest) => {
      const claims = await verifyBearer(request);
      if (!isUserToken(claims)) throw forbidden('this endpoint needs a user access token, not a client token');
      return claims;
    });
  },
  { name: 'bearer-auth', dependencies: ['tokens', 'deny-list'] },
);
