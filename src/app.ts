import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault,
  type RouteOptions,
} from 'fastify';
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
import { auditPlugin } from './plugins/audit.js';
import { openapiPlugin } from './plugins/openapi.js';
import { metricsPlugin } from './plugins/metrics.js';
import { healthRoutes } from './routes/health.js';
import { clientRoutes } from './routes/clients.js';
import { internalRoutes } from './routes/internal.js';

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
  /** Sees every route as it is registered (tests check that /openapi.json documents them all). */
  onRoute?: (route: RouteOptions) => void;
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
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);

  await app.register(corePlugin, { config, db: deps.db, cache: deps.cache });
  await app.register(errorHandlerPlugin);
  await app.register(auditPlugin);
  // Before any route: @fastify/swagger learns routes from an onRoute hook.
  await app.register(openapiPlugin);
  await app.register(formbody);
  await app.register(cookie);
  await app.register(duplicateParametersPlugin);
  await app.register(adminGuardPlugin);
  await app.register(credentialsPlugin);
  await app.register(metricsPlugin);

  await app.register(healthRoutes);
  await app.register(clientRoutes);
  await app.register(internalRoutes);

  return app;
}
