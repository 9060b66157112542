import { AUDIT_EVENT_NAMES } from '../../audit/audit-event.js';
import { auditPage } from '../../admin/audit-page.js';
import { UsageError, positiveInt, type Command } from '../command.js';

const tail: Command = {
  name: 'audit tail',
  summary: 'the latest audit events, newest first (filters as GET /audit-events)',
  synopsis: '[--event <name>] [--user <id>] [--actor <actor>] [--limit <n>]',
  options: {
    event: { type: 'string' },
    user: { type: 'string' },
    actor: { type: 'string' },
    limit: { type: 'string' },
  },
  async run(ctx, args) {
    const str = (name: string) => (typeof args.values[name] === 'string' ? args.values[name] : undefined);
    const event = str('event');
    if (event !== undefined && !(AUDIT_EVENT_NAMES as readonly string[]).includes(event))
      throw new UsageError(`--event '${event}' is not an audit event name`);
    const { events } = await auditPage(await ctx.repos(), {
      event: event as (typeof AUDIT_EVENT_NAMES)[number] | undefined,
      user_id: str('user'),
      actor: str('actor'),
      limit: positiveInt(args, 'limit', 50, 200),
    });
    return { success: true, events };
  },
};

export const auditCommands: Command[] = [tail];
