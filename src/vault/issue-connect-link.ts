import { deriveSecrets } from '../crypto/derive.js';
import { randomToken } from '../crypto/random.js';
import type { AdminActor } from '../clients/client-admin.js';
import type { Config } from '../config/schema.js';
import type { Repositories } from '../repositories/index.js';
import type { VaultAudit } from './audit.js';
import { CONNECT_LINK_TTL_SECONDS, signConnectLink } from './connect-link.js';

export interface IssueConnectLinkDeps {
  config: Config;
  repos: Pick<Repositories, 'connections'>;
  vaultAudit: VaultAudit;
}

interface NewConnectLink {
  connectionId: string;
  /** The service asking (its name is shown on the confirmation page); null from the CLI. */
  apiKeyId: string | null;
  returnTo: string | null;
  /** Google scopes asked for on top of the base ones. */
  scopes: readonly string[];
}

/**
 * Stores a single-use link and returns its signed URL: POST /connections, the broker's fix-it
 * links and `connections link`.
 */
export async function issueConnectLink(
  deps: IssueConnectLinkDeps,
  link: NewConnectLink,
  by?: AdminActor,
): Promise<{ connectUrl: string; expiresAt: Date }> {
  const id = randomToken(16);
  const expiresAt = new Date(Date.now() + CONNECT_LINK_TTL_SECONDS * 1000);
  await deps.repos.connections.createLink({
    id,
    connectionId: link.connectionId,
    apiKeyId: link.apiKeyId,
    returnTo: link.returnTo,
    scopes: [...new Set(link.scopes)],
    expiresAt,
  });
  deps.vaultAudit({
    event: 'connection_link_created',
    subject: link.connectionId,
    ...(link.apiKeyId ? { api_key_id: link.apiKeyId } : {}),
    ...by,
  });
  const token = signConnectLink(deriveSecrets(deps.config, 'connect-link'), id, expiresAt);
  return { connectUrl: `${deps.config.public_url}/connect?${new URLSearchParams({ token })}`, expiresAt };
}
