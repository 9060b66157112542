import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { consoleGuard } from '../../../admin/console-access.js';
import { ADMIN_STYLESHEET, ADMIN_STYLESHEET_PATH } from '../../../views/admin/style.js';
import { htmlErrorHandler } from '../../../http/html-errors.js';
import { consoleApiKeyRoutes } from './api-keys.js';
import { consoleAuditRoutes } from './audit.js';
import { consoleClientRoutes } from './clients.js';
import { consoleConnectionRoutes } from './connections.js';
import { consoleSigningKeyRoutes } from './signing-keys.js';
import { consoleUserRoutes } from './users.js';
import { consoleWebhookRoutes } from './webhooks.js';

/**
 * /admin: the server-rendered admin console for people signed in through Google whose verified
 * email is in admin.emails. It never sees the admin key: every action calls the same service
 * the admin API calls, audited with the admin's user id as actor.
 */
export const adminConsoleRoutes: FastifyPluginAsyncZod = async (app) => {
  // Public, like the shared stylesheet: it holds nothing about anyone.
  app.get(ADMIN_STYLESHEET_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(ADMIN_STYLESHEET),
  );
  await app.register(consolePages);
};

/** Every /admin page, behind the console guard. Pages, not API operations: none is in the OpenAPI document. */
const consolePages: FastifyPluginAsyncZod = async (app) => {
  // A 400 or 404 here is about a console page: retrying a sign-in would not help.
  app.setErrorHandler(htmlErrorHandler({ url: '/admin', label: 'Back to the console' }));
  app.addHook('preHandler', consoleGuard(app));
  app.get('/admin', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/admin/clients', 302));
  await app.register(consoleClientRoutes);
  await app.register(consoleApiKeyRoutes);
  await app.register(consoleUserRoutes);
  await app.register(consoleConnectionRoutes);
  await app.register(consoleAuditRoutes);
  await app.register(consoleSigningKeyRoutes);
  await app.register(consoleWebhookRoutes);
};
