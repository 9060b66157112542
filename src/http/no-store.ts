import type { onRequestHookHandler } from 'fastify';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * onRequest hook for every scope whose answers carry tokens, one-time values or personal data:
 * never cached (RFC 6749 §5.1, RFC 6750 §5.3), errors included. Register it once per scope:
 * `app.addHook('onRequest', noStore)`.
 */
export const noStore: onRequestHookHandler = (_request, reply, done) => {
  reply.headers(NO_STORE);
  done();
};
