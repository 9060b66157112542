import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { auditFilterSchema, auditPage } from '../../../admin/audit-page.js';
import { auditBody } from '../../../views/admin/pages/audit.js';
import { noticeQuery, renderConsole } from '../../../admin/console-forms.js';

const PAGE = 50;

/** /admin/audit: the audit trail with the API's filters, newest first, paginated. */
export const consoleAuditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/admin/audit',
    { schema: { hide: true, querystring: auditFilterSchema.extend(noticeQuery.shape) } },
    async (request, reply) => {
      const { done: _, ...filters } = request.query;
      const { events, next_cursor } = await auditPage(app.repos, { ...filters, limit: PAGE });
      let nextUrl: string | null = null;
      if (next_cursor) {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries({ ...filters, limit: undefined, cursor: next_cursor }))
          if (v !== undefined && v !== '') params.set(k, String(v));
        nextUrl = `/admin/audit?${params}`;
      }
      return renderConsole(request, reply, {
        title: 'Audit log',
        section: 'audit',
        body: auditBody(events, filters, request.user!.id, nextUrl),
      });
    },
  );
};
