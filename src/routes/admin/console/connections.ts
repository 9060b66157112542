import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consoleActor } from '../../../admin/console-access.js';
import { cursorParam, pageOf, readCursor } from '../../../admin/cursor.js';
import { deleteConnection } from '../../../vault/connection-admin.js';
import { connectionIdSchema } from '../../../vault/subject.js';
import { connectionsBody } from '../../../views/admin/pages/connections.js';
import { formBase, noticeQuery, renderConsole } from './forms.js';

const PAGE = 25;

/** /admin/connections: external connections filtered by status (reauth_required first of all); revoke and delete. */
export const consoleConnectionRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/admin/connections',
    {
      schema: {
        hide: true,
        querystring: noticeQuery.extend({
          status: z.enum(['active', 'reauth_required', 'not_connected', '']).optional(),
          cursor: cursorParam.optional(),
        }),
      },
    },
    async (request, reply) => {
      const status = request.query.status || undefined;
      const rows = await app.repos.connections.page({ status, after: readCursor(request.query.cursor), limit: PAGE });
      const { items, next_cursor } = pageOf(rows, PAGE, (c) => ({ at: c.createdAt, id: c.id }));
      const nextUrl = next_cursor
        ? `/admin/connections?${new URLSearchParams({ status: status ?? '', cursor: next_cursor })}`
        : null;
      return renderConsole(request, reply, {
        title: 'Connections',
        section: 'connections',
        body: connectionsBody(items, status ?? '', nextUrl, app.csrf.tokenFor(request.session!.idHash)),
      });
    },
  );

  app.post(
    '/admin/connections/:id/delete',
    { schema: { hide: true, params: z.object({ id: connectionIdSchema }), body: formBase } },
    async (request, reply) => {
      const id = request.params.id;
      await deleteConnection(app, id, { log: request.log, actor: consoleActor(request).actor });
      return reply.redirect('/admin/connections?done=connection_deleted', 303);
    },
  );
};
