import { ConfigError, loadConfig, readConfigSources } from './config/load.js';
import { withDevSecrets } from './config/dev-secrets.js';
import { connectDatabase } from './storage/connect.js';
import { migrate } from './storage/migrate.js';
import { connectCache } from './cache/connect.js';
import { buildApp } from './app.js';
import { describeFailure } from './startup-failure.js';
import { startMetricsServer, stopMetricsServer } from './metrics/metrics-server.js';
import type { Server } from 'node:http';

async function main(): Promise<void> {
  const { env, file } = readConfigSources();
  const config = withDevSecrets(loadConfig(env, file), env, file, (line) => console.error(line));

  const db = await connectDatabase(config);
  if (config.database.migrate_on_start) await migrate(db);
  const cache = await connectCache(config);
  const app = await buildApp(config, { db, cache });
  if (config.node_env === 'production' && cache.kind === 'memory') {
    // Rate limits, the deny list, locks and cache invalidation live in this process only.
    app.log.warn(
      'REDIS_URL is not set: the cache is in-process, so only ONE instance of Gatehouse may run against this database',
    );
  }

  let metricsServer: Server | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'draining in-flight requests');
    const force = setTimeout(() => {
      app.log.error('drain timeout passed; exiting');
      process.exit(1);
    }, config.server.drain_timeout_ms);
    force.unref();
    if (metricsServer) await stopMetricsServer(metricsServer);
    // Closing the app also flushes queued audit events while the database is still open.
    await app.close();
    await Promise.allSettled([db.close(), cache.close()]);
    app.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await app.listen({ host: config.server.host, port: config.server.port });
  if (config.server.metrics_port) {
    // No credentials on this port: it listens on server.metrics_host (loopback by default), where
    // only Prometheus should reach it.
    metricsServer = await startMetricsServer(
      app.metrics.registry,
      config.server.metrics_host,
      config.server.metrics_port,
    );
  }
  app.log.info(
    { database: db.kind, cache: cache.kind, public_url: config.public_url },
    `gatehouse listening on ${config.server.host}:${config.server.port}` +
      (config.server.metrics_port ? ` (metrics on ${config.server.metrics_host}:${config.server.metrics_port})` : ''),
  );
}

main().catch((err: unknown) => {
  // Configuration errors are one line per bad value; any other start-up failure is one line
  // with its cause chain (the driver's own words), never a stack.
  console.error(err instanceof ConfigError ? err.message : `start-up failed: ${describeFailure(err)}`);
  process.exit(1);
});
