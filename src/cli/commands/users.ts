import { deleteUserAsAdmin } from '../../admin/delete-user.js';
import { loadUserDetail } from '../../admin/user-detail.js';
import { notFound } from '../../oauth/errors.js';
import { UsageError, idCommand, positiveInt, type Command } from '../command.js';

const list: Command = {
  name: 'users list',
  summary: 'list users, newest first',
  synopsis: '[--limit <n>]',
  options: { limit: { type: 'string' } },
  async run(ctx, args) {
    const users = await (await ctx.repos()).users.list({ limit: positiveInt(args, 'limit', 100, 10_000) });
    return { success: true, users };
  },
};

const show = idCommand({
  name: 'users show',
  summary: 'one person: profile, Google connection status, live sessions, connected apps (never a token)',
  id: 'user id',
  async run(ctx, id) {
    const user = await loadUserDetail({ repos: await ctx.repos() }, id);
    if (!user) throw new UsageError(`no user '${id}'`);
    return { success: true, user };
  },
});

const remove = idCommand({
  name: 'users delete',
  summary:
    'erase a person (same as DELETE /users/:id): tokens, sessions, consents and Google grant; audited under a reference, never their id',
  id: 'user id',
  async run(ctx, id) {
    const result = await deleteUserAsAdmin(
      {
        db: await ctx.db(),
        repos: await ctx.repos(),
        denyList: await ctx.denyList(),
        sessions: await ctx.sessions(),
        google: ctx.google,
        vault: await ctx.vault(),
        config: ctx.config,
        auditLog: await ctx.audit(),
      },
      id,
      ctx.actor,
      ctx.log,
    );
    if (!result) throw notFound('no such user');
    return { success: true, deleted: true, reference: result.reference, families_revoked: result.familiesRevoked };
  },
});

export const userCommands: Command[] = [list, show, remove];
