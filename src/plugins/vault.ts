import fp from 'fastify-plugin';
import { createConnectionsRepository, type ConnectionsRepository } from '../repositories/connections.js';
import { createVaultAudit, type VaultAudit } from '../vault/audit.js';
import { createTokenBroker, type TokenBroker } from '../vault/broker.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Google token broker: subject → fresh Google access token. */
    vault: TokenBroker;
    connections: ConnectionsRepository;
    vaultAudit: VaultAudit;
  }
}

/** The Google token vault: broker service, connections, audit sink. */
export const vaultPlugin = fp(
  async (app) => {
    const audit = createVaultAudit(app.audit);
    app.decorate('vaultAudit', audit);
    app.decorate('connections', createConnectionsRepository(app.db));
    const broker = createTokenBroker({
      db: app.db,
      cache: app.cache,
      keyring: app.keyring,
      google: app.google,
      credentials: app.googleCredentials,
      users: app.users,
      skewSeconds: app.config.google.refresh_skew_seconds,
      requestTimeoutMs: app.config.google.request_timeout_ms,
      log: app.log,
      audit,
    });
    await broker.start();
    app.decorate('vault', broker);
  },
  { name: 'vault', dependencies: ['core', 'google'] },
);
