import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { publicView } from '../clients/client.js';
import { registrationSchema } from '../clients/registration.js';
import { randomToken } from '../crypto/random.js';
import { invalidClientMetadata, invalidRedirectUri, invalidRequest, notFound } from '../oauth/errors.js';
import { clientPurgeRepository } from '../repositories/client-purge.js';
import { clientsRepository } from '../repositories/clients.js';

const clientIdParams = z.object({ id: z.string().min(1).max(128) });

/**
 * Client ids are 40 hex characters: longer than any username (≤ 32), so a client id can never
 * equal one (spec: "A client_id can never equal a username").
 */
function newClientId(): string {
  return randomBytes(20).toString('hex');
}

/** Admin API for OAuth clients; every route requires X-Admin-Key. */
export const clientRoutes: FastifyPluginAsync = async (scope) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', app.requireAdminKey);

  app.post('/clients/register', async (request, reply) => {
    const parsed = registrationSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = String(issue.path[0] ?? 'body');
      const description = `${issue.path.join('.') || 'body'}: ${issue.message}`;
      // RFC 7591 §3.2.2: redirect problems have their own error code.
      throw field.startsWith('redirect_url') ? invalidRedirectUri(description) : invalidClientMetadata(description);
    }
    const reg = parsed.data;
    const secret = reg.token_endpoint_auth_method === 'none' ? undefined : randomToken(32);
    const client = await clientsRepository.insert(app.db, {
      id: newClientId(),
      ...reg,
      secret_hash: secret ? await app.secretHasher.hash(secret) : null,
    });
    await app.clientStore.changed(client);
    return reply.code(201).send({
      success: true,
      client_id: client.id,
      ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
      client_id_issued_at: Math.floor(Date.parse(client.created_at) / 1000),
      redirect_url: client.redirect_uris[0] ?? null,
      redirect_urls: client.redirect_uris,
      grant_types: client.grant_types,
      token_endpoint_auth_method: client.token_endpoint_auth_method,
      app_name: client.app_name,
      scope: client.scope,
      first_party: client.first_party,
      resource_server: client.resource_server,
    });
  });

  app.get(
    '/clients',
    {
      schema: {
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          include_disabled: z.enum(['true', 'false']).default('false'),
        }),
      },
    },
    async (request) => {
      const clients = await clientsRepository.list(app.db, {
        limit: request.query.limit,
        includeDisabled: request.query.include_disabled === 'true',
      });
      return { success: true, clients: clients.map(publicView) };
    },
  );

  app.get('/clients/:id', { schema: { params: clientIdParams } }, async (request) => {
    const client = await clientsRepository.findById(app.db, request.params.id);
    if (!client) throw notFound('no such client');
    return { success: true, client: publicView(client) };
  });

  app.delete(
    '/clients/:id',
    { schema: { params: clientIdParams, querystring: z.object({ purge: z.enum(['true', 'false']).default('false') }) } },
    async (request) => {
      const purge = request.query.purge === 'true';
      // purge=true also deletes what the client was issued, in the same transaction as the
      // disable, so no token can be issued between the two.
      const outcome = await app.db.transaction(async (tx) => {
        const client = await clientsRepository.disable(tx, request.params.id);
        if (!client) return null;
        return { client, purged: purge ? await clientPurgeRepository.purge(tx, client.id) : undefined };
      });
      if (!outcome) throw notFound('no such client');
      await app.clientStore.changed(outcome.client);
      if (!outcome.purged) return { success: true, client_id: outcome.client.id, disabled: true };
      for (const f of outcome.purged.revoked) await app.denyList.denyFamily(f.id, f.access_expires_at);
      request.log.info({ audit: { event: 'client_purged', client_id: outcome.client.id, ...outcome.purged.counts } }, 'client_purged');
      return { success: true, client_id: outcome.client.id, disabled: true, purged: outcome.purged.counts };
    },
  );

  app.post('/clients/:id/rotate-secret', { schema: { params: clientIdParams } }, async (request) => {
    const existing = await clientsRepository.findById(app.db, request.params.id);
    if (!existing) throw notFound('no such client');
    if (!existing.secret_hash) throw invalidRequest('a public client has no secret to rotate');
    const secret = randomToken(32);
    const client = await clientsRepository.replaceSecret(app.db, existing.id, await app.secretHasher.hash(secret));
    if (!client) throw notFound('no such client');
    await app.clientStore.changed(client);
    return { success: true, client_id: client.id, client_secret: secret, client_secret_expires_at: 0 };
  });
};
