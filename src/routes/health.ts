import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { errorBody, ok, security } from '../openapi/components.js';

const CHECK_TIMEOUT_MS = 1500;

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

const checkSchema = z.object({ status: z.enum(['up', 'down']), backend: z.string() });
const checksSchema = z.object({ postgres: checkSchema, redis: checkSchema });
const tags = ['operations'];

/** /health: the process answers. /ready: Postgres and Redis answer too (503 naming what is down). */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/health',
    {
      schema: { tags, summary: 'Liveness: the process answers', security: security.none },
      config: { openapi: { response: { 200: ok('Up', z.object({ success: z.literal(true), status: z.literal('ok') })) } } },
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
      const checks = {
        postgres: { status: database, backend: app.db.kind },
        redis: { status: cache, backend: app.cache.kind },
      };
      const down = Object.entries(checks).filter(([, c]) => c.status === 'down').map(([name]) => name);
      if (down.length === 0) return { success: true, status: 'ready', checks };
      return reply.code(503).send({
        success: false,
        error: 'unavailable',
        error_description: `${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} unreachable`,
        checks,
      });
    },
  );
};
