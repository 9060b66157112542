import { requireAdmin } from '../../guards/require-admin.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AUDIT_EVENT_NAMES } from '../../audit/audit-event.js';
import { auditFilterSchema, auditPage } from '../../admin/audit-page.js';
import { pageResponse } from '../../admin/cursor.js';
import { ADMIN_ERRORS, errors, security } from '../../openapi/components.js';

const auditEventView = z.object({
  id: z.string(),
  occurred_at: z.string(),
  event: z.enum(AUDIT_EVENT_NAMES).or(z.string()),
  actor: z.string().nullable(),
  subject: z.string().nullable(),
  client_id: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

/** GET /audit-events (X-Admin-Key): the audit trail, newest first, filtered and cursor-paginated. */
export const adminAuditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', requireAdmin);

  app.get(
    '/audit-events',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit events, newest first; filters are ANDed; user_id matches the actor or the subject',
        security: security.adminKey,
        querystring: auditFilterSchema,
        response: { 200: pageResponse('events', auditEventView, 'Audit events, newest first, one page') },
      },
      config: { openapi: { response: errors(400, ...ADMIN_ERRORS) } },
    },
    async (request) => {
      const { events, next_cursor } = await auditPage(app.repos, request.query);
      return { success: true as const, events, next_cursor };
    },
  );
};
