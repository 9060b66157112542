import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireApiKey } from '../guards/require-api-key.js';
import { notFound } from '../oauth/errors.js';
import { errors, ok, security } from '../openapi/components.js';
import {
  connectScopesSchema,
  connectionStatus as statusOf,
  deleteConnection,
  returnToSchema,
} from '../vault/connection-admin.js';
import { issueConnectLink } from '../vault/issue-connect-link.js';
import { connectionIdSchema } from '../vault/subject.js';
import { noStore } from '../http/no-store.js';

const idParams = z.object({ id: connectionIdSchema });
const tags = ['connections'];
const connectionStatus = z.object({
  success: z.literal(true),
  connection_id: z.string(),
  status: z.string().describe('not_connected, active or reauth_required'),
  reauth_required: z.boolean(),
  google_email: z.string().nullable(),
  scopes: z.array(z.string()),
  expiry: z.number().int().nullable().describe('Unix seconds when the held Google token expires'),
  last_refreshed_at: z.string().nullable(),
  created_at: z.string(),
});
/** What every /connections call can answer besides its own: the key refused, limited, or storage down. */
const KEY_ERRORS = [401, 403, 429, 503] as const;

/**
 * /connections (API key with the `connections` scope): create a connect link, read a
 * connection's status, delete a connection. Never a token in any answer.
 */
export const connectionsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', noStore);
  app.addHook('preValidation', requireApiKey('connections'));

  app.post(
    '/connections',
    {
      schema: {
        tags,
        summary: 'A single-use connect link for a person to connect their Google account to a connection',
        security: security.apiKey,
        body: z.object({
          connection_id: connectionIdSchema,
          return_to: returnToSchema.optional(),
          scopes: connectScopesSchema.optional(),
        }),
      },
      config: {
        openapi: {
          response: {
            200: ok(
              'The link (valid 15 minutes, once)',
              z.object({
                success: z.literal(true),
                connect_url: z.string(),
                connection_id: z.string(),
                expires_at: z.string(),
              }),
            ),
            ...errors(400, ...KEY_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const key = request.apiKey;
      const { connection_id, return_to, scopes } = request.body;
      const { connectUrl, expiresAt } = await issueConnectLink(
        app,
        { connectionId: connection_id, apiKeyId: key.id, returnTo: return_to ?? null, scopes: scopes ?? [] },
        { actor: `api-key:${key.id}`, ip: request.ip },
      );
      return { success: true, connect_url: connectUrl, connection_id, expires_at: expiresAt.toISOString() };
    },
  );

  app.get(
    '/connections/:id',
    {
      schema: {
        tags,
        summary: "A connection's status (never a token)",
        security: security.apiKey,
        params: idParams,
      },
      config: {
        openapi: { response: { 200: ok('The connection', connectionStatus), ...errors(400, 404, ...KEY_ERRORS) } },
      },
    },
    async (request) => {
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
    },
  );

  app.delete(
    '/connections/:id',
    {
      schema: {
        tags,
        summary: 'Delete a connection and its Google grant (revoked at Google when it answers)',
        security: security.apiKey,
        params: idParams,
      },
      config: {
        openapi: {
          response: {
            200: ok(
              'Deleted',
              z.object({
                success: z.literal(true),
                connection_id: z.string(),
                deleted: z.literal(true),
                revoked_at_google: z.boolean(),
              }),
            ),
            ...errors(400, 404, ...KEY_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const id = request.params.id;
      const { revokedAtGoogle } = await deleteConnection(app, id, {
        log: request.log,
        by: { actor: `api-key:${request.apiKey.id}`, ip: request.ip },
      });
      return { success: true, connection_id: id, deleted: true, revoked_at_google: revokedAtGoogle };
    },
  );
};
