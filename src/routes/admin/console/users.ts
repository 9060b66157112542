import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consoleActor } from '../../../admin/console-access.js';
import { cursorParam, pageOf, readCursor } from '../../../admin/cursor.js';
import { signOutEverywhere } from '../../../admin/sign-out-everywhere.js';
import { loadUserDetail } from '../../../admin/user-detail.js';
import { notFound } from '../../../oauth/errors.js';
import { deleteUser } from '../../../users/delete-user.js';
import { userDetailBody, userListBody } from '../../../views/admin/pages/users.js';
import { checkbox, formBase, noticeQuery, renderConsole } from './forms.js';

const PAGE = 25;
const idParams = z.object({ id: z.string().min(1).max(128) });

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
      const actor = consoleActor(request);
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
      // The person's id is erased everywhere, audit trail included: the event names the deletion's reference.
      app.audit({
        event: 'admin_action',
        actor: actor.actor,
        ip: actor.ip ?? null,
        subject: result.reference,
        details: { action: 'user.delete', families_revoked: result.familiesRevoked },
      });
      return reply.redirect('/admin/users?done=user_deleted', 303);
    },
  );
};
