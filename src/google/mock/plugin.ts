import type { FastifyPluginAsync } from 'fastify';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_MOCK_PREFIX } from '../settings.js';
import { mockGoogleRoutes } from './routes.js';
import { MockGoogleState } from './state.js';

/**
 * The mock Google served by Gatehouse itself in dev mode, under /_dev/google. Register it with
 * `{ prefix: DEV_MOCK_PREFIX }` and without fastify-plugin, so its error handler stays inside.
 * Refuses to load unless dev mode is on: buildApp only registers it then, and this check makes a
 * mistaken registration in production fail at start instead of serving a fake Google.
 * Fault injection (`control`) is deliberately not exposed here.
 */
export const devMockGooglePlugin: FastifyPluginAsync = async (app) => {
  const config = app.config;
  if (!config.dev_mode || config.node_env === 'production' || config.google.client_id) {
    throw new Error('the mock Google can only be mounted in dev mode (no GOOGLE_CLIENT_ID, NODE_ENV not production)');
  }
  const base = `${config.public_url}${DEV_MOCK_PREFIX}`;
  const state = await MockGoogleState.create({
    clientId: DEV_CLIENT_ID,
    clientSecret: DEV_CLIENT_SECRET,
    issuer: base,
    // Only redirect back into this Gatehouse: the dev mock is not an open redirector.
    redirectUriPrefixes: [`${config.public_url}/`],
  });
  await app.register(mockGoogleRoutes, { mock: state });
  app.addHook('onClose', async () => state.wakeAll());
  app.log.warn(
    `*** DEV MODE: a MOCK GOOGLE is mounted at ${base}/ — anyone can sign in as any email. ` +
      'Set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (and NODE_ENV=production) before exposing this server. ***',
  );
};
