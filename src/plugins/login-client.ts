import fp from 'fastify-plugin';
import type { Client } from '../clients/client.js';
import { unavailable } from '../oauth/errors.js';
import { ensureLoginClient } from '../users/login-client.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The first-party client of /api/login, /api/refresh and /api/logout; 503 when it is disabled. */
    loginClient: () => Promise<Client>;
  }
}

/** Makes sure the login client exists once the app is ready (an idempotent insert). */
export const loginClientPlugin = fp(
  async (app) => {
    const id = app.config.google.login_client_id;
    app.addHook('onReady', async () => {
      const { created, client } = await ensureLoginClient(app.repos.clients, app.clientStore, app.config);
      if (created) app.log.info({ client_id: id }, 'created the first-party login client');
      else if (client?.disabled)
        app.log.warn({ client_id: id }, 'the login client is disabled: /api/login answers 503');
      else if (client && !client.grant_types.includes('refresh_token')) {
        app.log.warn(
          { client_id: id },
          'the login client lacks the refresh_token grant: /api/login issues no refresh token',
        );
      }
    });
    app.decorate('loginClient', async () => {
      const client = await app.clientStore.findById(id);
      if (!client || client.disabled) throw unavailable('sign-in through the API is disabled on this server');
      return client;
    });
  },
  { name: 'login-client', dependencies: ['core', 'credentials'] },
);
