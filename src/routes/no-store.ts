import type { FastifyInstance } from 'fastify';

/** Responses that carry tokens or personal data are never cached (RFC 6749 §5.1, RFC 6750 §5.3). */
export function noStore(app: FastifyInstance): void {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
  });
}
