import type { FastifyInstance } from 'fastify';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** Responses that carry tokens or personal data are never cached (RFC 6749 §5.1, RFC 6750 §5.3). */
export function noStore(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(NO_STORE);
    done();
  });
}
