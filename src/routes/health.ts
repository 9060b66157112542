import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Gauge } from 'prom-client';
import { z } from 'zod';
import { errorBody, errors, ok, security } from '../openapi/components.js';

const CHECK_TIMEOUT_MS = 1500;
/** A Redis error answer (MOVED, READONLY…) this recent makes /ready report Redis as failing. */
export const REDIS_PROBLEM_WINDOW_MS = 60_000;
/** Each kind of Redis error answer is logged at most this often. */
const PROBLEM_LOG_INTERVAL_MS = 60_000;

async function check(probe: () => Promise<void>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

const checkSchema = z.object({
  status: z.enum(['up', 'down', 'error']),
  backend: z.string(),
  /** Redis only: error answers since start, by kind (MOVED, CROSSSLOT, READONLY, NOSCRIPT…). */
  errors: z.record(z.string(), z.number()).optional(),
});
const checksSchema = z.object({ postgres: checkSchema, redis: checkSchema });
const tags = ['operations'];

/**
 * /health: the process answers. /ready: Postgres and Redis answer too (503 naming what is down).
 * Redis answering commands with errors is not "down" but not ready either: a REDIS_URL naming
 * one node of a Cluster (MOVED), a master demoted by Sentinel (READONLY). Those are logged,
 * counted (gatehouse_redis_errors) and reported here as `error`.
 */
export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const loggedAt = new Map<string, number>();
  const stopListening = app.cache.onProblem((kind, err) => {
    const now = Date.now();
    if (now - (loggedAt.get(kind) ?? 0) < PROBLEM_LOG_INTERVAL_MS) return;
    loggedAt.set(kind, now);
    app.log.error(
      { kind, err: err.message, counts: app.cache.problems().counts },
      'Redis answered with an error that is not an outage; check REDIS_URL (cluster/sentinel) and the server',
    );
  });
  // The cache outlives the app (its owner closes it): stop listening when the app closes.
  app.addHook('onClose', async () => stopListening());
  new Gauge({
    name: 'gatehouse_redis_errors',
    help: 'Errors Redis answered with since start (not outages), by kind: MOVED, CROSSSLOT, READONLY, NOSCRIPT…',
    labelNames: ['kind'] as const,
    registers: [app.metrics.registry],
    collect() {
      for (const [kind, n] of Object.entries(app.cache.problems().counts)) this.set({ kind }, n);
    },
  });

  app.get(
    '/health',
    {
      schema: { tags, summary: 'Liveness: the process answers', security: security.none },
      config: {
        openapi: {
          response: {
            200: ok('Up', z.object({ success: z.literal(true), status: z.literal('ok') })),
            // Only while the server drains on shutdown.
            ...errors(503),
          },
        },
      },
    },
    async () => ({ success: true, status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      schema: { tags, summary: 'Readiness: Postgres and Redis answer', security: security.none },
      config: {
        openapi: {
          response: {
            200: ok('Ready', z.object({ success: z.literal(true), status: z.literal('ready'), checks: checksSchema })),
            503: ok('A backend is down; error_description names it', errorBody.extend({ checks: checksSchema })),
          },
        },
      },
    },
    async (_request, reply) => {
      const [database, cache] = await Promise.all([check(() => app.db.ping()), check(() => app.cache.ping())]);
      const problems = app.cache.problems();
      const failing =
        cache === 'up' && problems.last !== undefined && Date.now() - problems.last.at < REDIS_PROBLEM_WINDOW_MS;
      const checks = {
        postgres: { status: database, backend: app.db.kind },
        redis: {
          status: failing ? ('error' as const) : cache,
          backend: app.cache.kind,
          ...(Object.keys(problems.counts).length ? { errors: problems.counts } : {}),
        },
      };
      const down = Object.entries(checks)
        .filter(([, c]) => c.status === 'down')
        .map(([name]) => name);
      if (down.length === 0 && !failing) return { success: true, status: 'ready', checks };
      const reasons = [
        ...(down.length ? [`${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} unreachable`] : []),
        ...(failing ? [`redis answers with errors (${problems.last!.kind}); check REDIS_URL`] : []),
      ];
      return reply
        .code(503)
        .send({ success: false, error: 'unavailable', error_description: reasons.join('; '), checks });
    },
  );
};
