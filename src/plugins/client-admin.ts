import fp from 'fastify-plugin';
import type { ClientAdminDeps } from '../clients/client-admin.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** What the client service needs (the admin API and the console alike), built once. */
    clientAdmin: ClientAdminDeps;
  }
}

export const clientAdminPlugin = fp(
  async (app) => {
    app.decorate('clientAdmin', {
      db: app.db,
      repos: app.repos,
      hasher: app.secretHasher,
      store: app.clientStore,
      denyList: app.denyList,
      accessTokenLifetimeSeconds: app.config.security.access_token_expiry_minutes * 60,
      audit: app.audit,
    });
  },
  { name: 'client-admin', dependencies: ['core', 'audit', 'credentials', 'deny-list'] },
);
