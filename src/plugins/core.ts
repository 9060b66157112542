import fp from 'fastify-plugin';
import type { Cache } from '../cache/cache.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../storage/database.js';
import { createKeyring, type Keyring } from '../crypto/keyring.js';
import { createRepositories, repositoryOptions, type Repositories } from '../repositories/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Database;
    cache: Cache;
    /** AES-256-GCM under ENCRYPTION_KEYS: Google tokens, signing keys. */
    keyring: Keyring;
    /** Every repository, built once (src/repositories/index.ts); all SQL goes through them. */
    repos: Repositories;
  }
}

export interface CoreDeps {
  db: Database;
  cache: Cache;
}

/**
 * Makes config, the storage handles and the repositories visible to every route. The caller owns the database and
 * cache connections and closes them (main.ts on shutdown, the test helper after each file).
 */
export const corePlugin = fp<{ config: Config } & CoreDeps>(
  async (app, { config, db, cache }) => {
    app.decorate('config', config);
    app.decorate('db', db);
    app.decorate('cache', cache);
    // loadConfig requires ENCRYPTION_KEYS in production and withDevSecrets fills them elsewhere.
    if (!config.secrets.encryption_keys) throw new Error('ENCRYPTION_KEYS is not configured');
    const keyring = createKeyring(config.secrets.encryption_keys);
    app.decorate('keyring', keyring);
    app.decorate('repos', createRepositories(db, repositoryOptions(config, keyring)));
  },
  { name: 'core' },
);
