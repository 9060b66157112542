import { z } from 'zod';
import { isSecureOrLoopback } from '../config/schema.js';
import type { GoogleClient } from '../google/client.js';
import { notFound } from '../oauth/errors.js';
import type { Repositories } from '../repositories/index.js';
import type { GoogleCredential } from '../repositories/google-credentials.js';
import type { AdminActor } from '../clients/client-admin.js';
import type { Database } from '../storage/database.js';
import { recordWebhookEvent } from '../webhooks/outbox.js';
import type { VaultAudit } from './audit.js';
import type { TokenBroker } from './broker.js';

/**
 * Where the person is sent after connecting: the calling service's own page, so an absolute
 * URL — https, or http on a loopback host (as for redirect URIs) — without credentials.
 */
export const returnToSchema = z
  .string()
  .max(2048)
  .refine((value) => {
    if (/[\s\u0000-\u001f\u007f\\]/.test(value)) return false;
    try {
      const u = new URL(value);
      return isSecureOrLoopback(value) && !u.username && !u.password && !u.hash;
    } catch {
      return false;
    }
  }, 'must be an absolute https URL (http only on a loopback host) without credentials or fragment');

/** A Google scope, as an RFC 6749 §3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E ). */
export const googleScopeSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token');

export const connectScopesSchema = z.array(googleScopeSchema).max(50);

/** What GET /connections/:id and `connections list` say about a connection's Google grant. */
export function connectionStatus(
  c: Pick<GoogleCredential, 'status' | 'email' | 'scopes' | 'accessTokenExpiresAt' | 'lastRefreshedAt'> | null,
) {
  if (!c) {
    return {
      status: 'not_connected',
      reauth_required: false,
      google_email: null,
      scopes: [],
      expiry: null,
      last_refreshed_at: null,
    };
  }
  return {
    status: c.status,
    reauth_required: c.status === 'reauth_required',
    google_email: c.email,
    scopes: c.scopes,
    expiry: c.accessTokenExpiresAt ? Math.floor(c.accessTokenExpiresAt.getTime() / 1000) : null,
    last_refreshed_at: c.lastRefreshedAt?.toISOString() ?? null,
  };
}

/** What deleting a connection touches; the Fastify instance has all of it, the CLI builds it. */
export interface ConnectionDeletionDeps {
  db: Database;
  repos: Pick<Repositories, 'connections' | 'googleCredentials'>;
  google: Pick<GoogleClient, 'revoke'>;
  vault: Pick<TokenBroker, 'forget'>;
  vaultAudit: VaultAudit;
}

/**
 * DELETE /connections/:id and `connections delete`: revokes the grant at Google, deletes the
 * connection with its credential and links, records `connection.deleted` for webhooks in the
 * same transaction, drops cached tokens on every instance, audits. 404 when there is none.
 */
export async function deleteConnection(
  deps: ConnectionDeletionDeps,
  id: string,
  opts: { log: { warn(obj: object, msg: string): void }; by?: AdminActor },
): Promise<{ revokedAtGoogle: boolean }> {
  const connection = await deps.repos.connections.find(id);
  if (!connection) throw notFound('no such connection');
  const credential = await deps.repos.googleCredentials.findByOwner({ connectionId: id });
  let revokedAtGoogle = false;
  if (credential) {
    // Revoking either token ends the whole grant at Google; the refresh token is the one
    // that matters. A failure is logged, not fatal: the person can still remove access at
    // myaccount.google.com, and we must not keep a credential the service asked us to drop.
    const tokens = await deps.repos.googleCredentials.decryptTokens(credential.id);
    const token = tokens?.refreshToken ?? tokens?.accessToken;
    if (token) {
      revokedAtGoogle = await deps.google.revoke(token).then(
        () => true,
        (err: unknown) => {
          opts.log.warn(
            { connectionId: id, kind: (err as { kind?: string }).kind },
            'could not revoke the Google grant of a deleted connection',
          );
          return false;
        },
      );
    }
  }
  await deps.db.transaction(async (tx) => {
    if (await deps.repos.connections.delete(id, tx))
      await recordWebhookEvent(tx, 'connection.deleted', { connection_id: id });
  });
  if (credential) await deps.vault.forget(credential.id, { kind: 'connection', connectionId: id });
  deps.vaultAudit({
    event: 'connection_deleted',
    subject: id,
    ...opts.by,
    ...(credential ? { credential_id: credential.id } : {}),
    details: { revoked_at_google: revokedAtGoogle },
  });
  return { revokedAtGoogle };
}
