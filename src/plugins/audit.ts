import fp from 'fastify-plugin';
import { AuditLog } from '../audit/audit-log.js';
import type { AuditEvent } from '../audit/audit-event.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Queues an auth or admin event for audit_events and config.audit.file. Never throws or waits. */
    audit: (event: AuditEvent) => void;
    /** The queue behind app.audit: `flush()` to write now, `pending` to see what is unwritten. */
    auditLog: AuditLog;
  }
}

/**
 * The audit trail. Registered before the routes so every route can record; its onClose hook
 * runs while the database is still open (the caller closes it after app.close()), so events
 * queued up to shutdown are written.
 */
export const auditPlugin = fp(
  async (app) => {
    const log = new AuditLog({ db: app.db, file: app.config.audit.file, log: app.log });
    log.start();
    app.decorate('auditLog', log);
    app.decorate('audit', (event: AuditEvent) => log.record(event));
    app.addHook('onClose', async () => log.close());
  },
  { name: 'audit', dependencies: ['core'] },
);
