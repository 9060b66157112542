import { positiveInt, type Command } from '../command.js';

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

export const userCommands: Command[] = [list];
