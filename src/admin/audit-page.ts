import { z } from 'zod';
import { AUDIT_EVENT_NAMES } from '../audit/audit-event.js';
import { invalidRequest } from '../oauth/errors.js';
import type { Repositories } from '../repositories/index.js';
import { cursorParam, pageOf, pageQuery, readCursor } from './cursor.js';

const id = z.string().min(1).max(320);
/** An empty form field means "no filter" (the console's GET form sends every field). */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** The filters of GET /audit-events and the console's audit page: one schema for both. */
export const auditFilterSchema = pageQuery.extend({
  event: optional(z.enum(AUDIT_EVENT_NAMES)),
  user_id: optional(id),
  actor: optional(id),
  client_id: optional(id),
  since: optional(z.iso.datetime({ offset: true, local: true })),
  until: optional(z.iso.datetime({ offset: true, local: true })),
  cursor: optional(cursorParam),
});

export type AuditFilterInput = z.infer<typeof auditFilterSchema>;

/** One page of the audit trail as the API shows it (timestamps ISO 8601, ids as strings). */
export async function auditPage(repos: Pick<Repositories, 'audit'>, f: AuditFilterInput) {
  const since = f.since ? new Date(f.since) : undefined;
  const until = f.until ? new Date(f.until) : undefined;
  if (since && until && since > until) throw invalidRequest('since is after until');
  const cursor = readCursor(f.cursor);
  // Audit ids are bigserial: a cursor naming anything else was not issued here.
  if (cursor && !/^\d{1,19}$/.test(cursor.id)) throw invalidRequest('cursor is not a cursor this server issued');
  const rows = await repos.audit.page({
    event: f.event,
    userId: f.user_id,
    actor: f.actor,
    clientId: f.client_id,
    since,
    until,
    beforeId: cursor?.id,
    limit: f.limit,
  });
  const { items, next_cursor } = pageOf(rows, f.limit, (e) => ({ at: e.occurred_at, id: e.id }));
  return { events: items.map((e) => ({ ...e, occurred_at: e.occurred_at.toISOString() })), next_cursor };
}
