import { requireAdmin } from '../../guards/require-admin.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageOf, pageQuery, pageResponse, readCursor } from '../../admin/cursor.js';
import { ADMIN_ERRORS, errors, security } from '../../openapi/components.js';

const connectionSummary = z.object({
  connection_id: z.string(),
  status: z.enum(['active', 'reauth_required', 'not_connected']),
  google_email: z.string().nullable(),
  scopes: z.array(z.string()),
  last_refreshed_at: z.string().nullable(),
  created_by_api_key: z.string().nullable(),
  created_at: z.string(),
});

/**
 * GET /connections for admins (X-Admin-Key): every external connection with its Google status.
 * Reading, linking and deleting one connection stay with API keys (routes/connections.ts).
 */
export const adminConnectionRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', requireAdmin);

  app.get(
    '/connections',
    {
      schema: {
        tags: ['connections'],
        summary: 'List external connections, newest first, cursor-paginated; filter by status (e.g. reauth_required)',
        security: security.adminKey,
        querystring: pageQuery.extend({ status: z.enum(['active', 'reauth_required', 'not_connected']).optional() }),
        response: { 200: pageResponse('connections', connectionSummary, 'Connections, newest first, one page') },
      },
      config: { openapi: { response: errors(400, ...ADMIN_ERRORS) } },
    },
    async (request) => {
      const { status, limit } = request.query;
      const rows = await app.repos.connections.page({ status, after: readCursor(request.query.cursor), limit });
      const { items, next_cursor } = pageOf(rows, limit, (c) => ({ at: c.createdAt, id: c.id }));
      return {
        success: true as const,
        connections: items.map((c) => ({
          connection_id: c.id,
          status: c.status,
          google_email: c.googleEmail,
          scopes: c.scopes,
          last_refreshed_at: c.lastRefreshedAt?.toISOString() ?? null,
          created_by_api_key: c.createdByApiKey,
          created_at: c.createdAt.toISOString(),
        })),
        next_cursor,
      };
    },
  );
};
