import type { AuditEvent } from '../audit/audit-event.js';

/** Vault events worth an audit trail. Never carries a token: ids and kinds only. */
export interface VaultAuditEvent {
  event:
    | 'google_token_refreshed'
    | 'google_reauth_required'
    | 'connection_link_created'
    | 'connection_connected'
    | 'connection_deleted';
  /** Canonical subject: a user id or a connection id. */
  subject?: string;
  credential_id?: string;
  api_key_id?: string;
  /** Who did it when no API key did (an admin on the CLI: `cli:<user>`, or in the console). */
  actor?: string;
  /** The address the request came from, when it came over HTTP. */
  ip?: string;
  details?: Record<string, unknown>;
}

export type VaultAudit = (event: VaultAuditEvent) => void;

/** The one place vault events leave the process: the audit_events table and audit file. */
export function createVaultAudit(audit: (event: AuditEvent) => void): VaultAudit {
  return ({ credential_id, api_key_id, actor, details, ...rest }) =>
    audit({
      ...rest,
      actor: api_key_id ? `api-key:${api_key_id}` : (actor ?? null),
      details: { ...details, ...(credential_id ? { credential_id } : {}) },
    });
}
