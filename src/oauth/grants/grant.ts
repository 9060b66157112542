import type { FastifyRequest } from 'fastify';
import type { AuditEventName } from '../../audit/audit-event.js';
import type { Client } from '../../clients/client.js';
import type { Config } from '../../config/schema.js';
import type { Database } from '../../storage/database.js';
import type { DenyList } from '../deny-list.js';
import type { TokenService } from '../tokens.js';
import type { TokenBroker } from '../../vault/broker.js';

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

/** Each grant gets only what it uses. */
export interface GrantDeps {
  db: Database;
  config: Config;
  tokens: TokenService;
  denyList: DenyList;
  /** Google tokens for token exchange. */
  broker: Pick<TokenBroker, 'getToken'>;
  emit: (event: GrantEvent) => void;
}

export interface GrantContext {
  request: FastifyRequest;
  client: Client;
  /** Only the parameters the grant declares, each a single string. */
  params: Partial<Record<string, string>>;
  deps: GrantDeps;
}

export interface Grant {
  grantType: string;
  parameters: ReadonlySet<string>;
  handler(ctx: GrantContext): Promise<TokenResponse>;
}

export function expiresIn(exp: number): number {
  return Math.max(0, exp - Math.floor(Date.now() / 1000));
}
