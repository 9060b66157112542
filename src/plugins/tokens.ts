import fp from 'fastify-plugin';
import type { AsymmetricAlgorithm } from '../crypto/signing-key-material.js';
import {
  ID_TOKEN_ALGORITHMS,
  openSigningKeyStore,
  SIGNING_KEYS_CHANNEL,
  type SigningKeyStore,
} from '../oauth/signing-keys.js';
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
    const deps = { repos: app.repos, keyring: app.keyring, config: app.config, log: app.log };
    const keys = await openSigningKeyStore(deps);
    // One store per ID token algorithm (OIDC Discovery §3: RS256 at least); the access token's
    // store is shared when it uses one of them.
    const idTokenKeys = new Map<AsymmetricAlgorithm, SigningKeyStore>();
    for (const alg of ID_TOKEN_ALGORITHMS)
      idTokenKeys.set(alg, alg === keys.algorithm ? keys : await openSigningKeyStore(deps, alg));
    const stores = [...new Set([keys, ...idTokenKeys.values()])];
    app.decorate('tokens', createTokenService(app.config, keys, { idTokenKeys }));

    await app.cache.subscribe(SIGNING_KEYS_CHANNEL, () => {
      for (const store of stores) {
        store
          .reload()
          .catch((err: unknown) =>
            app.log.warn({ err }, 'signing key reload after rotation failed; keeping the loaded keys'),
          );
      }
    });
    // The Cache interface has no unsubscribe: after close the handler stays registered, and the
    // closed store ignores it.
    app.addHook('onClose', async () => {
      for (const store of stores) store.close();
    });
  },
  { name: 'tokens', dependencies: ['core'] },
);
