/**
 * Every event name the code records, and no other: `AuditEvent.event` is this union, so tsc rejects
 * a name that is not listed, and test/unit/audit/audit-event-names.test.ts fails on a listed name
 * that nothing records. A new event is added here first.
 */
export const AUDIT_EVENT_NAMES = [
  // OAuth token endpoint and revocation
  'token_issued',
  'refresh',
  'reuse_detected',
  'code_replay',
  'revoke',
  'token_exchanged',
  // Device authorization (RFC 8628)
  'device_authorization_requested',
  'device_user_code_refused',
  // Consent screen
  'consent_granted',
  'consent_denied',
  // Browser sign-in (src/routes/login.ts) and session expiry (src/plugins/session.ts)
  'browser_sign_in',
  'browser_sign_in_failed',
  'browser_sign_out',
  'session_expired',
  // User APIs (src/users/audit-events.ts)
  'login_success',
  'login_failure',
  'logout',
  'username_changed',
  'username_change_refused',
  'external_token_minted',
  'external_token_refused',
  'external_tokens_revoked',
  // Vault (src/vault/audit.ts)
  'google_token_refreshed',
  'google_reauth_required',
  'connection_link_created',
  'connection_connected',
  'connection_deleted',
  // Refused unauthenticated or rate-limited callers, one per IP and minute (src/audit/auth-failures.ts)
  'auth_failures',
  // Admin API and CLI; `details.action` says which
  'admin_action',
] as const;

export type AuditEventName = (typeof AUDIT_EVENT_NAMES)[number];

/** What callers pass to `app.audit(…)`. Never put a secret in it; `details` is scrubbed anyway. */
export interface AuditEvent {
  event: AuditEventName;
  /** Who did it: a user id, `admin-key`, `cli:<os user>`, an API key id… */
  actor?: string | null;
  /** Whom or what it was done to: a user id, client id, API key id, connection id… */
  subject?: string | null;
  client_id?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

/**
 * An event as stored: timestamped when it was recorded (ISO 8601), details already scrubbed and
 * serialised once, for both the table and the file.
 */
export interface AuditRecord extends Omit<AuditEvent, 'details'> {
  occurred_at: string;
  details_json: string;
}
