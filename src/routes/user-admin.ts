import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../oauth/errors.js';
import { deleteUser } from '../users/delete-user.js';

const userIdParams = z.object({ id: z.string().min(1).max(128) });

/** Admin API for people; every route requires X-Admin-Key. */
export const userAdminRoutes: FastifyPluginAsync = async (scope) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', app.requireAdminKey);

  // Erasure: the person, their tokens, sessions, consents and Google grant; see deleteUser.
  app.delete('/users/:id', { schema: { params: userIdParams } }, async (request) => {
    const result = await deleteUser(
      {
        db: app.db,
        repos: app.repos,
        denyList: app.denyList,
        accessTokenLifetimeSeconds: app.config.security.access_token_expiry_minutes * 60,
        sessions: app.sessions,
        google: app.google,
        audit: app.auditLog,
        vault: app.vault,
        log: request.log,
      },
      request.params.id,
    );
    if (!result) throw notFound('no such user');
    return { success: true, deleted: true };
  });
};
