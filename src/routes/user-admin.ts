import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAdmin } from '../guards/require-admin.js';
import { notFound } from '../oauth/errors.js';
import { ADMIN_ERRORS, errors, ok, security } from '../openapi/components.js';
import { deleteUser } from '../users/delete-user.js';

const userIdParams = z.object({ id: z.string().min(1).max(128) });

/** Admin API for people; every route requires X-Admin-Key. */
export const userAdminRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', requireAdmin);

  // Erasure: the person, their tokens, sessions, consents and Google grant; see deleteUser.
  app.delete(
    '/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Erase a person: their tokens, sessions, consents and Google grant',
        security: security.adminKey,
        params: userIdParams,
      },
      config: {
        openapi: {
          response: {
            200: ok('Erased', z.object({ success: z.literal(true), deleted: z.literal(true) })),
            ...errors(400, 404, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const result = await deleteUser(
        {
          db: app.db,
          denyList: app.denyList,
          accessTokenLifetimeSeconds: app.config.security.access_token_expiry_minutes * 60,
          sessions: app.sessions,
          repos: app.repos,
          google: app.google,
          audit: app.auditLog,
          vault: app.vault,
          log: request.log,
        },
        request.params.id,
      );
      if (!result) throw notFound('no such user');
      return { success: true, deleted: true };
    },
  );
};
