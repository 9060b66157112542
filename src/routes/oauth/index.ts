import type { FastifyPluginAsync } from 'fastify';
import { deviceAuthorizationRoute } from './device-authorization.js';
import { introspectRoute } from './introspect.js';
import { brokerRefreshRoute } from './refresh.js';
import { revokeRoute } from './revoke.js';
import { tokenRoute } from './token.js';
import { formBodiesOnly } from '../form-bodies-only.js';
import { noStore } from '../no-store.js';

/** The OAuth endpoints that answer machines. Every response, errors too, is no-store (RFC 6749 §5.1). */
export const oauthRoutes: FastifyPluginAsync = async (app) => {
  noStore(app);
  formBodiesOnly(app);
  await app.register(tokenRoute);
  await app.register(revokeRoute);
  await app.register(introspectRoute);
  await app.register(brokerRefreshRoute);
  await app.register(deviceAuthorizationRoute);
};
