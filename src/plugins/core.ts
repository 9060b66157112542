import fp from 'fastify-plugin';
import type { Cache } from '../cache/cache.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../storage/database.js';
import { createKeyring, type Keyring } from '../crypto/keyring.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Database;
    cache: Cache;
    /** AES-256-GCM under ENCRYPTION_KEYS: Google tokens, signing keys. */
    keyring: Keyring;
  }
}

export interface CoreDeps {
  db: Database;
  cache: Cache;
}

/**
 * Makes config and the storage handles visible to every route. The caller owns the database and
 * cache connections and closes them (main.ts on shutdown, the test helper after each file).
 */
export const corePlugin = fp<{ config: Config } & CoreDeps>(
  async (app, { config, db, cache }) => {
    app.decorate('config', config);
    app.decorate('db', db);
    app.decorate('cache', cache);
    // loadConfig requires ENCRYPTION_KEYS in production and withDevSecrets fills them elsewhere.
    if (!config.secrets.encryption_keys) throw new Error('ENCRYPTION_KEYS is not configured');
    app.decorate('keyring', createKeyring(config.secrets.encryption_keys));
  },
  { name: 'core' },
);
