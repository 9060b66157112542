import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { recordWebhookEvent } from '../webhooks/outbox.js';

export interface DeletedConnection {
  /** The credential the connection held, if any (for the audit trail). */
  credentialId: string | null;
  revokedAtGoogle: boolean;
}

/**
 * Deletes an external connection: its Google grant revoked at Google first (a failure is
 * logged, not fatal: the person can still remove access at myaccount.google.com, and we must not
 * keep a credential we were asked to drop), then the connection, credential and links in one
 * transaction with a `connection.deleted` webhook event, then the cached tokens forgotten.
 * Null when there is no such connection. Callers record the audit event (their actor differs).
 */
export async function deleteConnection(
  app: Pick<FastifyInstance, 'connections' | 'googleCredentials' | 'google' | 'db' | 'vault'>,
  id: string,
  log: FastifyBaseLogger,
): Promise<DeletedConnection | null> {
  const connection = await app.connections.find(id);
  if (!connection) return null;
  const credential = await app.googleCredentials.findByOwner({ connectionId: id });
  let revokedAtGoogle = false;
  if (credential) {
    // Revoking either token ends the whole grant at Google; the refresh token is the one that matters.
    const tokens = await app.googleCredentials.decryptTokens(credential.id);
    const token = tokens?.refreshToken ?? tokens?.accessToken;
    if (token) {
      revokedAtGoogle = await app.google.revoke(token).then(
        () => true,
        (err: unknown) => {
          log.warn(
            { connectionId: id, kind: (err as { kind?: string }).kind },
            'could not revoke the Google grant of a deleted connection',
          );
          return false;
        },
      );
    }
  }
  await app.db.transaction(async (tx) => {
    if (await app.connections.delete(id, tx)) await recordWebhookEvent(tx, 'connection.deleted', { connection_id: id });
  });
  if (credential) await app.vault.forget(credential.id, { kind: 'connection', connectionId: id });
  return { credentialId: credential?.id ?? null, revokedAtGoogle };
}
