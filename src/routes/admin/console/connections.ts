import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consoleActor } from '../../../admin/console-access.js';
import { cursorParam, pageOf, readCursor } from '../../../admin/cursor.js';
import { deleteConnection, returnToSchema } from '../../../vault/connection-admin.js';
import { issueConnectLink } from '../../../vault/issue-connect-link.js';
import { connectionIdSchema } from '../../../vault/subject.js';
import { connectLinkCreatedBody, connectLinkForm, connectionsBody } from '../../../views/admin/pages/connections.js';
import { field, formBase, noticeQuery, renderConsole } from '../../../admin/console-forms.js';

const PAGE = 25;

/** Why a connect-link form is refused, in words for the admin; null when it is acceptable. */
function linkRefusal(connectionId: string | undefined, returnTo: string | undefined): string | null {
  if (!connectionId) return 'Not created: type a connection id.';
  if (!connectionIdSchema.safeParse(connectionId).success)
    return 'Not created: a connection id is 1 to 200 letters, digits or . _ : - and is not a UUID.';
  if (returnTo !== undefined && !returnToSchema.safeParse(returnTo).success)
    return 'Not created: return to must be an https URL (or http on 127.0.0.1 / localhost) without credentials or a fragment.';
  return null;
}

/** /admin/connections: external connections filtered by status (reauth_required first of all); connect links; revoke and delete. */
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
    '/admin/connections/link',
    { schema: { hide: true, body: formBase.extend({ connection_id: field(200), return_to: field(2048) }) } },
    async (request, reply) => {
      const { connection_id: connectionId, return_to: returnTo } = request.body;
      const refused = linkRefusal(connectionId, returnTo);
      if (refused !== null || !connectionId) {
        return renderConsole(request, reply, {
          title: 'Create a connect link',
          section: 'connections',
          body: connectLinkForm(app.csrf.tokenFor(request.session!.idHash), request.body, refused ?? undefined),
          status: 400,
        });
      }
      // No API key asks: the confirmation page names "A service", as for `gatehouse connections link`.
      const { connectUrl, expiresAt } = await issueConnectLink(
        app,
        { connectionId, apiKeyId: null, returnTo: returnTo ?? null, scopes: [] },
        consoleActor(request),
      );
      return renderConsole(request, reply, {
        title: 'Connect link created',
        section: 'connections',
        body: connectLinkCreatedBody(connectionId, connectUrl, expiresAt),
      });
    },
  );

  app.post(
    '/admin/connections/:id/delete',
    { schema: { hide: true, params: z.object({ id: connectionIdSchema }), body: formBase } },
    async (request, reply) => {
      const id = request.params.id;
      await deleteConnection(app, id, { log: request.log, by: consoleActor(request) });
      return reply.redirect('/admin/connections?done=connection_deleted', 303);
    },
  );
};
