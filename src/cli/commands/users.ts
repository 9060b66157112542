import { loadUserDetail } from '../../admin/user-detail.js';
import { UsageError, positiveInt, type Command } from '../command.js';

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

const show: Command = {
  name: 'users show',
  summary: 'one person: profile, Google connection status, live sessions, connected apps (never a token)',
  synopsis: '<user id>',
  positionals: ['user id'],
  async run(ctx, args) {
    if (!ctx.config.secrets.encryption_keys) throw new UsageError('ENCRYPTION_KEYS is not configured');
    const user = await loadUserDetail({ repos: await ctx.repos() }, args.positionals[0]!);
    if (!user) throw new UsageError(`no user '${args.positionals[0]}'`);
    return { success: true, user };
  },
};

export const userCommands: Command[] = [list, show];
