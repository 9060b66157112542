/**
 * Event names in use. Free-form strings are accepted so a new event needs no change here, but
 * prefer one of these so dashboards and queries stay consistent.
 */
export type AuditEventName =
  | 'login'
  | 'login_failed'
  | 'logout'
  | 'token_issued'
  | 'refresh'
  | 'reuse_detected'
  | 'code_replay'
  | 'revoke'
  | 'reauth_required'
  | 'admin_action'
  | 'device_authorization_requested'
  | 'device_user_code_refused'
  | (string & {});

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
