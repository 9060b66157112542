import { createConnectionsRepository, type ConnectionStatus } from '../../repositories/connections.js';
import { UsageError, positiveInt, type Command } from '../command.js';

const STATUSES: ConnectionStatus[] = ['active', 'reauth_required', 'not_connected'];

const list: Command = {
  name: 'connections list',
  summary: 'list external connections with their Google status, newest first',
  synopsis: '[--status active|reauth_required|not_connected] [--limit <n>]',
  options: { status: { type: 'string' }, limit: { type: 'string' } },
  async run(ctx, args) {
    const status = args.values.status;
    if (status !== undefined && !STATUSES.includes(status as ConnectionStatus))
      throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    const limit = positiveInt(args, 'limit', 100, 10_000);
    const rows = await createConnectionsRepository(await ctx.db()).page({
      status: status as ConnectionStatus | undefined,
      limit,
    });
    return {
      success: true,
      connections: rows.slice(0, limit).map((c) => ({
        connection_id: c.id,
        status: c.status,
        google_email: c.googleEmail,
        scopes: c.scopes,
        last_refreshed_at: c.lastRefreshedAt?.toISOString() ?? null,
        created_at: c.createdAt.toISOString(),
      })),
    };
  },
};

export const connectionCommands: Command[] = [list];
