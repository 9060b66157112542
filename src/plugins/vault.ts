import fp from 'fastify-plugin';
import { createVaultAudit, type VaultAudit } from '../vault/audit.js';
import type { BrokerCallDeps } from '../vault/broker-call.js';
import { createTokenBroker, type TokenBroker } from '../vault/broker.js';
import { ProactiveRefresher } from '../vault/proactive-refresh.js';
import { ServedTracker } from '../vault/proactive-served.js';
import { createProactiveStore } from '../vault/proactive-store.js';
import { issueConnectLink } from '../vault/issue-connect-link.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Google token broker: subject → fresh Google access token. */
    vault: TokenBroker;
    vaultAudit: VaultAudit;
    /** What a broker answer (GET /tokens, POST /oauth/refresh, a Bearer token request) needs. */
    brokerCall: BrokerCallDeps;
    /** google.proactive_refresh: refreshes tokens before they are asked for; undefined when off. */
    proactiveRefresher: ProactiveRefresher | undefined;
  }
}

/** The Google token vault: broker service and audit sink. */
export const vaultPlugin = fp(
  async (app) => {
    const audit = createVaultAudit(app.audit);
    app.decorate('vaultAudit', audit);
    app.decorate('brokerCall', {
      getToken: (ref, opts) => app.vault.getToken(ref, opts),
      lastLink: (connectionId) => app.repos.connections.lastLink(connectionId),
      issueConnectLink: (link) => issueConnectLink(app, link),
    });
    const broker = createTokenBroker({
      db: app.db,
      cache: app.cache,
      keyring: app.keyring,
      google: app.google,
      credentials: app.repos.googleCredentials,
      users: app.repos.users,
      skewSeconds: app.config.google.refresh_skew_seconds,
      requestTimeoutMs: app.config.google.request_timeout_ms,
      log: app.log,
      audit,
    });
    await broker.start();
    const g = app.config.google;
    if (!g.proactive_refresh) {
      app.decorate('vault', broker);
      app.decorate('proactiveRefresher', undefined);
      return;
    }
    const store = createProactiveStore(app.db);
    const served = new ServedTracker(store);
    const refresher = new ProactiveRefresher(
      { broker, store, served, cache: app.cache, log: app.log.child({ component: 'proactive-refresh' }) },
      {
        intervalMs: g.proactive_refresh_interval_seconds * 1000,
        withinMs: g.proactive_refresh_minutes * 60_000,
        windowDays: g.proactive_refresh_window_days,
        perMinute: g.proactive_refresh_per_minute,
      },
    );
    app.decorate('vault', served.track(broker));
    app.decorate('proactiveRefresher', refresher);
    app.addHook('onReady', async () => refresher.start());
    app.addHook('onClose', async () => refresher.stop());
  },
  { name: 'vault', dependencies: ['core', 'google'] },
);
