import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cursorParam, pageOf, readCursor } from '../../../admin/cursor.js';
import { connectionsBody } from '../../../views/admin/pages/connections.js';
import { noticeQuery, renderConsole } from './forms.js';

const PAGE = 25;

/** /admin/connections: external connections filtered by status (reauth_required first of all). */
export const consoleConnectionRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/admin/connections',
    {
      schema: {
        querystring: noticeQuery.extend({
          status: z.enum(['active', 'reauth_required', 'not_connected', '']).optional(),
          cursor: cursorParam.optional(),
        }),
      },
    },
    async (request, reply) => {
      const status = request.query.status || undefined;
      const rows = await app.connections.page({ status, after: readCursor(request.query.cursor), limit: PAGE });
      const { items, next_cursor } = pageOf(rows, PAGE, (c) => ({ at: c.createdAt, id: c.id }));
      const nextUrl = next_cursor
        ? `/admin/connections?${new URLSearchParams({ status: status ?? '', cursor: next_cursor })}`
        : null;
      return renderConsole(request, reply, {
        title: 'Connections',
        section: 'connections',
        body: connectionsBody(items, status ?? '', nextUrl),
      });
    },
  );
};
