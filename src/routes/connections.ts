import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiKey } from '../api-keys/api-key.js';
import { isSecureOrLoopback } from '../config/schema.js';
import { notFound } from '../oauth/errors.js';
import type { GoogleCredential } from '../repositories/google-credentials.js';
import { issueConnectLink } from '../vault/issue-connect-link.js';
import { connectionIdSchema } from '../vault/subject.js';
import { recordWebhookEvent } from '../webhooks/outbox.js';
import { noStore } from './no-store.js';

/**
 * Where the person is sent after connecting: the calling service's own page, so an absolute
 * URL — https, or http on a loopback host (as for redirect URIs) — without credentials.
 */
const returnToSchema = z
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

const idParams = z.object({ id: connectionIdSchema });

/** A Google scope, as an RFC 6749 §3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E ). */
const googleScopeSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token');

/**
 * /connections (API key with the `connections` scope): create a connect link, read a
 * connection's status, delete a connection. Never a token in any answer.
 */
export const connectionsRoutes: FastifyPluginAsync = async (scope) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  noStore(app);
  // The key is checked before the body or params are validated (401/403 first).
  const callers = new WeakMap<object, ApiKey>();
  app.addHook('preValidation', async (request) => {
    callers.set(request, await app.authenticateApiKey(request, 'connections'));
  });

  app.post(
    '/connections',
    {
      schema: {
        body: z.object({
          connection_id: connectionIdSchema,
          return_to: returnToSchema.optional(),
          scopes: z.array(googleScopeSchema).max(50).optional(),
        }),
      },
    },
    async (request) => {
      const key = callers.get(request)!;
      const { connection_id, return_to, scopes } = request.body;
      const { connectUrl, expiresAt } = await issueConnectLink(app, {
        connectionId: connection_id,
        apiKeyId: key.id,
        returnTo: return_to ?? null,
        scopes: scopes ?? [],
      });
      return { success: true, connect_url: connectUrl, connection_id, expires_at: expiresAt.toISOString() };
    },
  );

  app.get('/connections/:id', { schema: { params: idParams } }, async (request) => {
    const id = request.params.id;
    const connection = await app.repos.connections.find(id);
    if (!connection) throw notFound('no such connection');
    const credential = await app.repos.googleCredentials.findByOwner({ connectionId: id });
    return {
      success: true,
      connection_id: id,
      ...statusOf(credential),
      created_at: connection.createdAt.toISOString(),
    };
  });

  app.delete('/connections/:id', { schema: { params: idParams } }, async (request) => {
    const id = request.params.id;
    const connection = await app.repos.connections.find(id);
    if (!connection) throw notFound('no such connection');
    const credential = await app.repos.googleCredentials.findByOwner({ connectionId: id });
    let revoked = false;
    if (credential) {
      // Revoking either token ends the whole grant at Google; the refresh token is the one
      // that matters. A failure is logged, not fatal: the person can still remove access at
      // myaccount.google.com, and we must not keep a credential the service asked us to drop.
      const tokens = await app.repos.googleCredentials.decryptTokens(credential.id);
      const token = tokens?.refreshToken ?? tokens?.accessToken;
      if (token) {
        revoked = await app.google.revoke(token).then(
          () => true,
          (err: unknown) => {
            request.log.warn(
              { connectionId: id, kind: (err as { kind?: string }).kind },
              'could not revoke the Google grant of a deleted connection',
            );
            return false;
          },
        );
      }
    }
    await app.db.transaction(async (tx) => {
      if (await app.repos.connections.delete(id, tx))
        await recordWebhookEvent(tx, 'connection.deleted', { connection_id: id });
    });
    if (credential) await app.vault.forget(credential.id, { kind: 'connection', connectionId: id });
    app.vaultAudit({
      event: 'connection_deleted',
      subject: id,
      ...(credential ? { credential_id: credential.id } : {}),
      details: { revoked_at_google: revoked },
    });
    return { success: true, connection_id: id, deleted: true, revoked_at_google: revoked };
  });
};

function statusOf(c: GoogleCredential | null) {
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
