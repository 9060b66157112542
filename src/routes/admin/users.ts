import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageOf, pageQuery, pageResponse, readCursor } from '../../admin/cursor.js';
import { idParams } from '../../admin/id-params.js';
import { signOutEverywhere } from '../../admin/sign-out-everywhere.js';
import { loadUserDetail, userDetailSchema, userSummarySchema } from '../../admin/user-detail.js';
import { ADMIN_ERRORS, errors, security } from '../../openapi/components.js';
import { notFound } from '../../oauth/errors.js';
import { adminActor, requireAdmin } from '../../guards/require-admin.js';

const tags = ['users'];

/** Admin API for people (X-Admin-Key): search, profile, sign out everywhere. DELETE is in user-admin.ts. */
export const adminUserRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', requireAdmin);

  app.get(
    '/users',
    {
      schema: {
        tags,
        summary: 'Search people (email, username, name substring, or exact id), newest first, cursor-paginated',
        security: security.adminKey,
        querystring: pageQuery.extend({ query: z.string().max(320).optional() }),
        response: {
          200: pageResponse('users', userSummarySchema, 'People matching the search, newest first, one page'),
        },
      },
      config: { openapi: { response: errors(400, ...ADMIN_ERRORS) } },
    },
    async (request) => {
      const after = readCursor(request.query.cursor);
      const rows = await app.repos.users.search({
        query: request.query.query?.trim() || undefined,
        after,
        limit: request.query.limit,
      });
      const { items, next_cursor } = pageOf(rows, request.query.limit, (u) => ({ at: u.createdAt, id: u.id }));
      return { success: true as const, users: items.map(({ createdAt: _, ...u }) => u), next_cursor };
    },
  );

  app.get(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'One person: profile, Google connection status, live sessions and connected apps (never a token)',
        security: security.adminKey,
        params: idParams,
        response: { 200: z.object({ success: z.literal(true), user: userDetailSchema }).describe('The person') },
      },
      config: { openapi: { response: errors(404, ...ADMIN_ERRORS) } },
    },
    async (request) => {
      const user = await loadUserDetail(app, request.params.id);
      if (!user) throw notFound('no such user');
      return { success: true as const, user };
    },
  );

  app.post(
    '/users/:id/sign-out',
    {
      schema: {
        tags,
        summary: 'End every browser session and token family of a person; their access tokens are denied',
        security: security.adminKey,
        params: idParams,
        response: {
          200: z
            .object({
              success: z.literal(true),
              user_id: z.string(),
              sessions_ended: z.number(),
              families_revoked: z.number(),
            })
            .describe('Signed out everywhere'),
        },
      },
      config: { openapi: { response: errors(404, ...ADMIN_ERRORS) } },
    },
    async (request) => {
      const user = await app.repos.users.findById(request.params.id);
      if (!user) throw notFound('no such user');
      const done = await signOutEverywhere(app, user.id, adminActor(request));
      return {
        success: true as const,
        user_id: user.id,
        sessions_ended: done.sessions,
        families_revoked: done.families,
      };
    },
  );
};
