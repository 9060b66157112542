import type { AuditEvent, AuditEventName } from '../audit/audit-event.js';

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
  event: AuditEventName;
  /** The user id, when known. */
  subject?: string | null;
  client_id?: string;
  details?: Record<string, unknown>;
}

/** The one place every user-API audit event goes through: the audit_events table and file. */
export function recordAuditEvent(deps: { audit: (event: AuditEvent) => void }, event: UserAuditEvent): void {
  deps.audit(event);
}
