import type { FastifyInstance } from 'fastify';
import { deriveSecrets } from '../crypto/derive.js';
import { randomToken } from '../crypto/random.js';
import { CONNECT_LINK_TTL_SECONDS, signConnectLink } from './connect-link.js';

interface NewConnectLink {
  connectionId: string;
  apiKeyId: string;
  returnTo: string | null;
  /** Google scopes asked for on top of the base ones. */
  scopes: readonly string[];
}

/** Stores a single-use link and returns its signed URL: POST /connections and the broker's fix-it links. */
export async function issueConnectLink(
  app: FastifyInstance,
  link: NewConnectLink,
): Promise<{ connectUrl: string; expiresAt: Date }> {
  const id = randomToken(16);
  const expiresAt = new Date(Date.now() + CONNECT_LINK_TTL_SECONDS * 1000);
  await app.repos.connections.createLink({
    id,
    connectionId: link.connectionId,
    apiKeyId: link.apiKeyId,
    returnTo: link.returnTo,
    scopes: [...new Set(link.scopes)],
    expiresAt,
  });
  app.vaultAudit({ event: 'connection_link_created', subject: link.connectionId, api_key_id: link.apiKeyId });
  const token = signConnectLink(deriveSecrets(app.config, 'connect-link'), id, expiresAt);
  return { connectUrl: `${app.config.public_url}/connect?${new URLSearchParams({ token })}`, expiresAt };
}
