import type { FastifyInstance } from 'fastify';
import { STYLESHEET_PATH } from '../views/layout.js';
import { STYLESHEET } from '../views/style.js';

export async function assetRoutes(app: FastifyInstance): Promise<void> {
  app.get(STYLESHEET_PATH, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET),
  );
}
