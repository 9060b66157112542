import type { FastifyInstance } from 'fastify';

/**
 * An auth event of the user APIs. Never a token, code or secret: subjects are user ids, clients
 * are client ids, API keys are key ids.
 */
export interface UserAuditEvent {
  /**
   * login_success, login_failure, refresh, reuse_detected, logout, username_changed,
   * username_change_refused, external_token_minted, external_token_refused,
   * external_tokens_revoked
   */
  event: string;
  /** The user id, when known. */
  subject?: string;
  client_id?: string;
  details?: Record<string, unknown>;
}

/**
 * The one place every user-API audit event goes through.
 * TODO: write to the audit_events table and logs/login.log through `app.audit` once the ops
 * branch lands it; until then the event is a structured log line (`audit` key), the same shape
 * the token endpoint emits, so the swap touches this function only.
 */
export function recordAuditEvent(app: FastifyInstance, event: UserAuditEvent): void {
  app.log.info({ audit: event }, event.event);
}
