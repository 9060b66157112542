import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiKey } from '../api-keys/api-key.js';
import { notFound } from '../oauth/errors.js';
import { connectScopesSchema, connectionStatus, deleteConnection, returnToSchema } from '../vault/connection-admin.js';
import { issueConnectLink } from '../vault/issue-connect-link.js';
import { connectionIdSchema } from '../vault/subject.js';
import { noStore } from './no-store.js';

const idParams = z.object({ id: connectionIdSchema });

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
          scopes: connectScopesSchema.optional(),
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
    const connection = await app.connections.find(id);
    if (!connection) throw notFound('no such connection');
    const credential = await app.googleCredentials.findByOwner({ connectionId: id });
    return {
      success: true,
      connection_id: id,
      ...connectionStatus(credential),
      created_at: connection.createdAt.toISOString(),
    };
  });

  app.delete('/connections/:id', { schema: { params: idParams } }, async (request) => {
    const id = request.params.id;
    const { revokedAtGoogle } = await deleteConnection(app, id, { log: request.log });
    return { success: true, connection_id: id, deleted: true, revoked_at_google: revokedAtGoogle };
  });
};
