import type { FastifyRequest } from 'fastify';

/**
 * True when the request is a browser navigation: its Accept names text/html (browsers send
 * `text/html,…` for pages). API clients send application/json, `*\/*` or nothing, and keep
 * getting JSON.
 */
export function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && /(^|,)\s*text\/html\b/i.test(accept);
}
