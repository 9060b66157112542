import type { FastifyBaseLogger } from 'fastify';

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
  details?: Record<string, unknown>;
}

export type VaultAudit = (event: VaultAuditEvent) => void;

/**
 * The one place vault events leave the process. The audit sink (`logs/login.log` and the
 * audit_events table) is being built elsewhere; until it exists events are structured log
 * lines, and swapping the sink in means changing this function only.
 */
export function createVaultAudit(log: FastifyBaseLogger): VaultAudit {
  return (event) => log.info({ audit: event }, event.event);
}
