import type { FastifyRequest } from 'fastify';
import type { AuditEventName } from '../../audit/audit-event.js';
import type { Client } from '../../clients/client.js';

/** What the token endpoint answers (RFC 6749 §5.1 plus Gatehouse's success, username, expiry). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  /** RFC 8693 §2.2.1, token exchange only. */
  issued_token_type?: string;
  scope: string;
  id_token?: string;
  success: true;
  username?: string;
  /** Unix seconds when the access token expires. */
  expiry: number;
}

/** An auth event for the audit log; the route hands it to whatever audit sink is installed. */
export interface GrantEvent {
  event: AuditEventName;
  subject?: string | null;
  client_id: string;
  details?: Record<string, unknown>;
}

/** Hands an auth event to the audit sink the route installed. */
export type EmitGrantEvent = (event: GrantEvent) => void;

/** `D` is what the grant declares it uses (ory/fosite narrows each handler's Config the same way). */
export interface GrantContext<D> {
  request: FastifyRequest;
  client: Client;
  /** Only the parameters the grant declares, each a single string. */
  params: Partial<Record<string, string>>;
  deps: D;
}

export interface Grant<D> {
  grantType: string;
  parameters: ReadonlySet<string>;
  handler(ctx: GrantContext<D>): Promise<TokenResponse>;
}

export function expiresIn(exp: number): number {
  return Math.max(0, exp - Math.floor(Date.now() / 1000));
}
