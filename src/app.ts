import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DestinationStream } from 'pino';
import type { Config } from './config/schema.js';
import { loggerOptions } from './logging/logger.js';
import { corePlugin, type CoreDeps } from './plugins/core.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { duplicateParametersPlugin } from './plugins/duplicate-parameters.js';
import { adminGuardPlugin } from './plugins/admin-guard.js';
import { credentialsPlugin } from './plugins/credentials.js';
import { denyListPlugin } from './plugins/deny-list.js';
import { bearerAuthPlugin } from './plugins/bearer-auth.js';
import { healthRoutes } from './routes/health.js';
import { oauthRoutes } from './routes/oauth/index.js';
import { clientRoutes } from './routes/clients.js';
import { internalRoutes } from './routes/internal.js';
import { tokensPlugin } from './plugins/tokens.js';
import { wellKnownRoutes } from './routes/well-known.js';
import { deriveSecrets } from './crypto/derive.js';
import { securityHeadersPlugin } from './plugins/security-headers.js';
import { sessionPlugin } from './plugins/session.js';
import { googlePlugin } from './plugins/google.js';
import { devMockGooglePlugin } from './google/mock/plugin.js';
import { DEV_MOCK_PREFIX } from './google/settings.js';
import { assetRoutes } from './routes/assets.js';
import { loginRoutes } from './routes/login.js';
import { accountRoutes } from './routes/account.js';
import { vaultPlugin } from './plugins/vault.js';
import { tokensRoutes } from './routes/tokens.js';
import { connectionsRoutes } from './routes/connections.js';
import { connectRoutes } from './routes/connect.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface AppDeps extends CoreDeps {
  /** Where log lines go (tests capture them); stdout when absent. */
  logStream?: DestinationStream;
}

/** Builds the Fastify app. Opens nothing and starts nothing: the caller owns db and cache. */
export async function buildApp(config: Config, deps: AppDeps): Promise<App> {
  const app = Fastify({
    logger: loggerOptions(config, deps.logStream),
    genReqId: () => randomUUID(),
    bodyLimit: config.server.body_limit_bytes,
    trustProxy: config.server.trust_proxy,
    // Drain on close: keep-alive sockets that are idle are closed at once, busy ones finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Broker subjects and connection ids travel in paths: emails up to 320, ids up to 200.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 320 },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(corePlugin, { config, db: deps.db, cache: deps.cache });
  await app.register(errorHandlerPlugin);
  await app.register(formbody);
  // Signed cookies (the Google state cookie) use a key derived from ENCRYPTION_KEYS; older
  // keys still verify, so a key rotation does not break sign-ins in flight.
  await app.register(cookie, { secret: deriveSecrets(config, 'cookie') });
  await app.register(duplicateParametersPlugin);
  await app.register(securityHeadersPlugin);
  await app.register(adminGuardPlugin);
  await app.register(credentialsPlugin);
  await app.register(tokensPlugin);
  await app.register(denyListPlugin);
  await app.register(bearerAuthPlugin);
  await app.register(sessionPlugin);
  await app.register(googlePlugin);
  await app.register(vaultPlugin);

  await app.register(healthRoutes);
  await app.register(wellKnownRoutes);
  await app.register(clientRoutes);
  await app.register(internalRoutes);
  await app.register(oauthRoutes);
  await app.register(tokensRoutes);
  await app.register(connectionsRoutes);
  await app.register(connectRoutes);
  await app.register(assetRoutes);
  await app.register(loginRoutes);
  await app.register(accountRoutes);
  // Dev mode only (no GOOGLE_CLIENT_ID outside production); the plugin refuses otherwise too.
  if (config.dev_mode) await app.register(devMockGooglePlugin, { prefix: DEV_MOCK_PREFIX });

  return app;
}
