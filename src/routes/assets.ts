import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { STYLESHEET_PATH } from '../views/layout.js';
import { STYLESHEET } from '../views/style.js';

/** The pages' stylesheet: not part of the API, so not in the OpenAPI document. */
export const assetRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(STYLESHEET_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET),
  );
};
