import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isConsoleAdmin } from '../admin/console-access.js';
import { notFound } from '../oauth/errors.js';
import { sendError } from '../plugins/error-handler.js';
import { wantsHtml } from '../views/browser-accept.js';
import { FAVICON_SVG, landingPage } from '../views/pages/landing.js';
import { sendPage } from '../views/reply.js';

/** GET / (a landing page for browsers; API clients keep the JSON 404) and the favicon. */
export const landingRoutes: FastifyPluginAsyncZod = async (app) => {
  const page = { schema: { hide: true } };
  app.get('/', page, async (request, reply) => {
    if (!wantsHtml(request)) return sendError(notFound('no route for GET /'), reply);
    const user = request.user;
    return sendPage(
      reply,
      landingPage({
        signedInAs: user ? (user.email ?? user.username) : null,
        admin: user !== null && isConsoleAdmin(app.config, user),
      }),
    );
  });

  const favicon = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(FAVICON_SVG);
  app.get('/favicon.svg', page, favicon);
  // Browsers ask for /favicon.ico whatever the page links; they render an SVG served there too.
  app.get('/favicon.ico', page, favicon);
};
