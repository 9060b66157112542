import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deleteUserAsAdmin } from '../admin/delete-user.js';
import { idParams } from '../admin/id-params.js';
import { adminActor, requireAdmin } from '../guards/require-admin.js';
import { notFound } from '../oauth/errors.js';
import { ADMIN_ERRORS, errors, ok, security } from '../openapi/components.js';

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
        params: idParams,
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
      const result = await deleteUserAsAdmin(app, request.params.id, adminActor(request), request.log);
      if (!result) throw notFound('no such user');
      return { success: true, deleted: true };
    },
  );
};
