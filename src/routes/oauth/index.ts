import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { formBodiesOnly } from '../../http/form-bodies-only.js';
import { noStore } from '../../http/no-store.js';
import { deviceAuthorizationRoute } from './device-authorization.js';
import { introspectRoute } from './introspect.js';
import { brokerRefreshRoute } from './refresh.js';
import { revokeRoute } from './revoke.js';
import { tokenRoute } from './token.js';

/** The OAuth endpoints that answer machines. Every response, errors too, is no-store (RFC 6749 §5.1). */
export const oauthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', noStore);
  app.addHook('onRequest', formBodiesOnly);
  await app.register(tokenRoute);
  await app.register(revokeRoute);
  await app.register(introspectRoute);
  await app.register(brokerRefreshRoute);
  await app.register(deviceAuthorizationRoute);
};
