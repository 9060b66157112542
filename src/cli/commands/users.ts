import { loadUserDetail } from '../../admin/user-detail.js';
import { createGoogleCredentialsRepository } from '../../repositories/google-credentials.js';
import { createSessionsRepository } from '../../repositories/sessions.js';
import { createUsersRepository, usersRepository } from '../../repositories/users.js';
import { createKeyring } from '../../crypto/keyring.js';
import { UsageError, positiveInt, type Command } from '../command.js';

const list: Command = {
  name: 'users list',
  summary: 'list users, newest first',
  synopsis: '[--limit <n>]',
  options: { limit: { type: 'string' } },
  async run(ctx, args) {
    const users = await usersRepository.list(await ctx.db(), { limit: positiveInt(args, 'limit', 100, 10_000) });
    return { success: true, users };
  },
};

const show: Command = {
  name: 'users show',
  summary: 'one person: profile, Google connection status, live sessions, connected apps (never a token)',
  synopsis: '<user id>',
  positionals: ['user id'],
  async run(ctx, args) {
    const db = await ctx.db();
    const keys = ctx.config.secrets.encryption_keys;
    if (!keys) throw new UsageError('ENCRYPTION_KEYS is not configured');
    const security = ctx.config.security;
    const user = await loadUserDetail(
      {
        db,
        users: createUsersRepository(db, { loginClientId: ctx.config.google.login_client_id }),
        googleCredentials: createGoogleCredentialsRepository(db, createKeyring(keys)),
        sessions: {
          repository: createSessionsRepository(db, {
            absoluteMs: security.session_days * 86_400_000,
            idleMs: security.session_idle_hours * 3_600_000,
          }),
        },
      },
      args.positionals[0]!,
    );
    if (!user) throw new UsageError(`no user '${args.positionals[0]}'`);
    return { success: true, user };
  },
};

export const userCommands: Command[] = [list, show];
