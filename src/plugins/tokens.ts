import fp from 'fastify-plugin';
import { openSigningKeyStore, SIGNING_KEYS_CHANNEL } from '../oauth/signing-keys.js';
import { createTokenService, type TokenService } from '../oauth/tokens.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Issues and verifies Gatehouse access and ID tokens; serves the JWK Set. */
    tokens: TokenService;
  }
}

/**
 * Loads the signing keys before the app is ready (generating the first one on a fresh
 * database) and keeps every instance's key set current: a rotation anywhere publishes on
 * SIGNING_KEYS_CHANNEL and each subscriber reloads.
 */
export const tokensPlugin = fp(
  async (app) => {
    const keys = await openSigningKeyStore({ db: app.db, keyring: app.keyring, config: app.config, log: app.log });
    app.decorate('tokens', createTokenService(app.config, keys));

    await app.cache.subscribe(SIGNING_KEYS_CHANNEL, () => {
      keys.reload().catch((err: unknown) => app.log.warn({ err }, 'signing key reload after rotation failed; keeping the loaded keys'));
    });
    // The Cache interface has no unsubscribe: after close the handler stays registered, and the
    // closed store ignores it.
    app.addHook('onClose', async () => keys.close());
  },
  { name: 'tokens', dependencies: ['core'] },
);
