import type { FastifyReply } from 'fastify';

/** Sends a rendered page. Pages show personal data or one-time values: never cached. */
export function sendPage(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page);
}
