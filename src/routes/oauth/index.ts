import type { FastifyPluginAsync } from 'fastify';
import { introspectRoute } from './introspect.js';
import { brokerRefreshRoute } from './refresh.js';
import { revokeRoute } from './revoke.js';
import { tokenRoute } from './token.js';

/** The OAuth endpoints that answer machines. Every response, errors too, is no-store (RFC 6749 §5.1). */
export const oauthRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
  });
  await app.register(tokenRoute);
  await app.register(revokeRoute);
  await app.register(introspectRoute);
  await app.register(brokerRefreshRoute);
};
