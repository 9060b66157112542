import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consoleActor } from '../../../admin/console-access.js';
import { deleteUserAsAdmin } from '../../../admin/delete-user.js';
import { idParams } from '../../../admin/id-params.js';
import { cursorParam, pageOf, readCursor } from '../../../admin/cursor.js';
import { signOutEverywhere } from '../../../admin/sign-out-everywhere.js';
import { loadUserDetail } from '../../../admin/user-detail.js';
import { notFound } from '../../../oauth/errors.js';
import { userDetailBody, userListBody } from '../../../views/admin/pages/users.js';
import { checkbox, formBase, noticeQuery, renderConsole } from '../../../admin/console-forms.js';

const PAGE = 25;

/** /admin/users: search, profile with Google status, sessions and apps, sign out everywhere, delete. */
export const consoleUserRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/admin/users',
    {
      schema: {
        hide: true,
        querystring: noticeQuery.extend({ query: z.string().max(320).optional(), cursor: cursorParam.optional() }),
      },
    },
    async (request, reply) => {
      const query = request.query.query?.trim() ?? '';
      const rows = await app.repos.users.search({
        query: query || undefined,
        after: readCursor(request.query.cursor),
        limit: PAGE,
      });
      const { items, next_cursor } = pageOf(rows, PAGE, (u) => ({ at: u.createdAt, id: u.id }));
      const nextUrl = next_cursor ? `/admin/users?${new URLSearchParams({ query, cursor: next_cursor })}` : null;
      return renderConsole(request, reply, {
        title: 'Users',
        section: 'users',
        body: userListBody(items, query, nextUrl),
      });
    },
  );

  app.get(
    '/admin/users/:id',
    { schema: { hide: true, params: idParams, querystring: noticeQuery } },
    async (request, reply) => {
      const user = await loadUserDetail(app, request.params.id);
      if (!user) throw notFound('no such user');
      return renderConsole(request, reply, {
        title: user.name ?? user.username,
        section: 'users',
        body: userDetailBody(user, app.csrf.tokenFor(request.session!.idHash)),
      });
    },
  );

  app.post(
    '/admin/users/:id/sign-out',
    { schema: { hide: true, params: idParams, body: formBase } },
    async (request, reply) => {
      const user = await app.repos.users.findById(request.params.id);
      if (!user) throw notFound('no such user');
      await signOutEverywhere(app, user.id, consoleActor(request));
      // Signing oneself out everywhere ends this session too: the next page asks for a sign-in.
      return reply.redirect(`/admin/users/${encodeURIComponent(user.id)}?done=signed_out`, 303);
    },
  );

  app.post(
    '/admin/users/:id/delete',
    { schema: { hide: true, params: idParams, body: formBase.extend({ confirm: checkbox }) } },
    async (request, reply) => {
      if (!request.body.confirm) return reply.redirect(`/admin/users/${encodeURIComponent(request.params.id)}`, 303);
      const result = await deleteUserAsAdmin(app, request.params.id, consoleActor(request), request.log);
      if (!result) throw notFound('no such user');
      return reply.redirect('/admin/users?done=user_deleted', 303);
    },
  );
};
