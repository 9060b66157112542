import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyReply,
  type FastifyRequest,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
  type RouteOptions,
} from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DestinationStream } from 'pino';
import type { Config } from './config/schema.js';
import { loggerOptions } from './logging/logger.js';
import { fastifyTrustProxy } from './security/trust-proxy.js';
import { ApiError, unavailable } from './oauth/errors.js';
import { corePlugin, type CoreDeps } from './plugins/core.js';
import { errorHandlerPlugin, sendError } from './plugins/error-handler.js';
import { duplicateParametersPlugin } from './plugins/duplicate-parameters.js';
import { adminGuardPlugin } from './plugins/admin-guard.js';
import { apiKeyRequestPlugin } from './guards/require-api-key.js';
import { authFailuresPlugin } from './plugins/auth-failures.js';
import { credentialsPlugin } from './plugins/credentials.js';
import { clientAdminPlugin } from './plugins/client-admin.js';
import { denyListPlugin } from './plugins/deny-list.js';
import { bearerAuthPlugin } from './plugins/bearer-auth.js';
import { auditPlugin } from './plugins/audit.js';
import { openapiPlugin } from './plugins/openapi.js';
import { metricsPlugin } from './plugins/metrics.js';
import { healthRoutes } from './routes/health.js';
import { oauthRoutes } from './routes/oauth/index.js';
import { rpLogoutRoutes } from './routes/rp-logout.js';
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
import { authorizeRoutes } from './routes/authorize.js';
import { deviceRoutes } from './routes/device.js';
import { loginClientPlugin } from './plugins/login-client.js';
import { userRoutes } from './routes/users.js';
import { apiLoginRoutes } from './routes/api-login.js';
import { externalTokenRoutes } from './routes/external-tokens.js';
import { userAdminRoutes } from './routes/user-admin.js';
import { adminApiRoutes } from './routes/admin/index.js';
import { adminConsoleRoutes } from './routes/admin/console/index.js';
import { landingRoutes } from './routes/landing.js';
import { janitorPlugin } from './plugins/janitor.js';
import { vaultPlugin } from './plugins/vault.js';
import { tokensRoutes } from './routes/tokens.js';
import { connectionsRoutes } from './routes/connections.js';
import { connectRoutes } from './routes/connect.js';
import { webhooksPlugin } from './plugins/webhooks.js';
import { webhookRoutes } from './routes/webhooks.js';

/**
 * One access-log line per request: the completion line carries the request (method, scrubbed
 * URL, address) and the outcome, and the separate "incoming request" line is dropped.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error)
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

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
    // One access-log line per request ("request completed", with request id, method, scrubbed
    // URL, status and time) instead of two: half the logging cost on every hot path.
    logController: new OneLinePerRequest(),
    genReqId: () => randomUUID(),
    bodyLimit: config.server.body_limit_bytes,
    trustProxy: fastifyTrustProxy(config.server.trust_proxy),
    // Drain on close: keep-alive sockets that are idle are closed at once, busy ones finish.
    forceCloseConnections: 'idle',
    // New requests during the drain get the 503 in the error shape from our own hook below.
    return503OnClosing: false,
    // Broker subjects and connection ids travel in paths: emails up to 320, ids up to 200.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 320 },
    // Malformed URLs and over-long path parameters fail in the router, before any hook: answer
    // them in the error shape too (400 / 414), never Fastify's default body.
    frameworkErrors: (err, _request, reply) => {
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      void sendError(
        new ApiError('invalid_request', status, status === 414 ? 'a path parameter is too long' : 'malformed URL'),
        reply,
      );
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Hooks every request passes through are callback-style: an async hook costs a promise and a
  // microtask per request, measurable on the hot paths (see README "Benchmarks").
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done(closing ? unavailable('the server is shutting down; retry on another instance') : undefined);
  });
  // Requests in flight when the drain starts finish normally, but their keep-alive sockets would
  // then sit idle until keepAliveTimeout and hold the shutdown open: close them after the reply.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);

  await app.register(corePlugin, { config, db: deps.db, cache: deps.cache });
  await app.register(errorHandlerPlugin);
  await app.register(auditPlugin);
  // Before any route: @fastify/swagger learns routes from an onRoute hook.
  await app.register(openapiPlugin);
  await app.register(formbody);
  // Signed cookies (the Google state cookie) use a key derived from ENCRYPTION_KEYS; older
  // keys still verify, so a key rotation does not break sign-ins in flight.
  await app.register(cookie, { secret: deriveSecrets(config, 'cookie') });
  await app.register(duplicateParametersPlugin);
  await app.register(securityHeadersPlugin);
  await app.register(authFailuresPlugin);
  await app.register(adminGuardPlugin);
  await app.register(credentialsPlugin);
  await app.register(apiKeyRequestPlugin);
  await app.register(tokensPlugin);
  await app.register(denyListPlugin);
  await app.register(clientAdminPlugin);
  await app.register(bearerAuthPlugin);
  await app.register(sessionPlugin);
  await app.register(googlePlugin);
  await app.register(metricsPlugin);
  await app.register(loginClientPlugin);
  await app.register(janitorPlugin);
  await app.register(vaultPlugin);
  await app.register(webhooksPlugin);

  await app.register(healthRoutes);
  await app.register(wellKnownRoutes);
  await app.register(clientRoutes);
  await app.register(userAdminRoutes);
  await app.register(adminApiRoutes);
  await app.register(internalRoutes);
  await app.register(webhookRoutes);
  await app.register(oauthRoutes);
  await app.register(tokensRoutes);
  await app.register(connectionsRoutes);
  await app.register(connectRoutes);
  await app.register(assetRoutes);
  await app.register(loginRoutes);
  await app.register(accountRoutes);
  await app.register(adminConsoleRoutes);
  await app.register(landingRoutes);
  await app.register(authorizeRoutes);
  await app.register(deviceRoutes);
  await app.register(rpLogoutRoutes);
  await app.register(userRoutes);
  await app.register(apiLoginRoutes);
  await app.register(externalTokenRoutes);
  // Dev mode only (no GOOGLE_CLIENT_ID outside production); the plugin refuses otherwise too.
  if (config.dev_mode) await app.register(devMockGooglePlugin, { prefix: DEV_MOCK_PREFIX });

  return app;
}
