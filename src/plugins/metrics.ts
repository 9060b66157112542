import fp from 'fastify-plugin';
import { z } from 'zod';
import { createAppMetrics, type AppMetrics } from '../metrics/app-metrics.js';
import { constantTimeEqual } from '../crypto/hash.js';
import { errors, security } from '../openapi/components.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus series of this app; other modules increment `tokensIssued` and `googleRefresh`. */
    metrics: AppMetrics;
  }
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 7235 §2.1). */
function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match?.[1];
}

/** Requests the router did not match share one label, so scanners cannot mint new series. */
const UNMATCHED_ROUTE = '(unmatched)';

/**
 * Request count and latency per route pattern and status, plus the counters and gauges in
 * createAppMetrics. `GET /metrics` is served here behind X-Admin-Key or METRICS_TOKEN, unless
 * server.metrics_port is set: then main.ts serves it on that port (see metrics-server.ts) and
 * the main port has no /metrics at all.
 */
export const metricsPlugin = fp(
  async (app) => {
    const metrics = createAppMetrics({ db: app.db, clientStore: app.clientStore });
    app.decorate('metrics', metrics);
    app.addHook('onClose', async () => metrics.stop());

    app.addHook('onResponse', (request, reply, done) => {
      const labels = {
        method: request.method,
        // The pattern (/clients/:id), never the raw URL: one series per route, not per id.
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status_code: String(reply.statusCode),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
      done();
    });

    if (app.config.server.metrics_port) return;
    const metricsToken = app.config.secrets.metrics_token;
    await app.register(async (scope) => {
      // METRICS_TOKEN as a Bearer (RFC 6750 §2.1) reads the metrics and nothing else; anything
      // else goes through the admin guard (X-Admin-Key, failures limited per IP).
      scope.addHook('onRequest', async (request) => {
        const presented = bearerToken(request.headers.authorization);
        if (metricsToken && presented !== undefined && constantTimeEqual(presented, metricsToken)) return;
        await scope.requireAdminKey(request);
      });
      scope.get(
        '/metrics',
        {
          schema: {
            tags: ['operations'],
            summary:
              'Prometheus metrics: X-Admin-Key or `Authorization: Bearer <METRICS_TOKEN>` (on server.metrics_port instead, without credentials, when that is set)',
            security: security.adminKey,
          },
          config: {
            openapi: {
              response: {
                200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
                ...errors(401, 429, 503),
              },
            },
          },
        },
        async (_request, reply) => {
          reply.header('content-type', metrics.registry.contentType);
          return metrics.registry.metrics();
        },
      );
    });
  },
  { name: 'metrics', dependencies: ['core', 'admin-guard', 'credentials'] },
);
