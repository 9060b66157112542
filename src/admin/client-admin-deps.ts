import type { FastifyInstance } from 'fastify';
import type { ClientAdminDeps } from '../clients/client-admin.js';

/** What the client service needs from a running server (the admin API and the console alike). */
export function clientAdminDeps(app: FastifyInstance): ClientAdminDeps {
  return {
    db: app.db,
    repos: app.repos,
    hasher: app.secretHasher,
    store: app.clientStore,
    denyList: app.denyList,
    accessTokenLifetimeSeconds: app.config.security.access_token_expiry_minutes * 60,
    audit: app.audit,
  };
}
