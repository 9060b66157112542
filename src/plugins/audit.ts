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
  interface FastifyRequest {
    /** AuditLog.recorded when the request arrived. */
    auditMark: number;
  }
}

/**
 * The audit trail. Registered before the routes so every route can record; its onClose hook
 * runs while the database is still open (the caller closes it after app.close()), so events
 * queued up to shutdown are written. A response that follows an event is held until the event
 * is written (product rule: committed before the response that reports its action), so a crash after
 * the response loses none; requests that recorded nothing pass straight through.
 */
export const auditPlugin = fp(
  async (app) => {
    const log = new AuditLog({ repository: app.repos.audit, file: app.config.audit.file, log: app.log });
    log.start();
    app.decorate('auditLog', log);
    app.decorate('audit', (event: AuditEvent) => log.record(event));
    app.decorateRequest('auditMark', 0);
    // Callback-style hooks: every request passes through them (see app.ts).
    app.addHook('onRequest', (request, _reply, done) => {
      request.auditMark = log.recorded;
      done();
    });
    let closing = false;
    app.addHook('preClose', (done) => {
      closing = true;
      done();
    });
    app.addHook('onSend', (request, reply, payload, done) => {
      if (log.recorded === request.auditMark) return done(null, payload);
      // flush() never rejects; a destination that failed keeps the event queued for a retry.
      void log.flush().then(() => {
        // A drain that began while this response waited: its keep-alive socket must close after
        // it (as app.ts does for the others), or the server would wait on it until the timeout.
        if (closing) reply.header('connection', 'close');
        done(null, payload);
      });
    });
    app.addHook('onClose', async () => log.close());
  },
  { name: 'audit', dependencies: ['core'] },
);
