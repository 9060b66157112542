import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { API_KEY_SCOPES, apiKeyView } from '../api-keys/api-key.js';
import {
  apiKeyCreateSchema,
  apiKeyIdSchema,
  createApiKey,
  revokeApiKey,
  type ApiKeyAdminDeps,
} from '../api-keys/api-key-admin.js';
import { ADMIN_ERRORS, errors, ok, security } from '../openapi/components.js';
import { adminActor, requireAdmin } from '../guards/require-admin.js';

const apiKeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  default_subject: z.union([z.object({ subject: z.string() }), z.object({ connection_id: z.string() })]).nullable(),
  allowed_clients: z.array(z.string()),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked: z.boolean(),
});

/** Admin API for internal services: API keys and the client cache reload. */
export const internalRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', requireAdmin);
  const deps: ApiKeyAdminDeps = {
    apiKeys: app.repos.apiKeys,
    hasher: app.secretHasher,
    changed: (key) => app.apiKeys.changed(key),
    audit: app.audit,
  };

  app.post(
    '/internal/reload-clients',
    {
      schema: {
        tags: ['clients'],
        summary: 'Reload every client from Postgres into Redis and tell every instance',
        security: security.adminKey,
      },
      config: {
        openapi: {
          response: {
            200: ok('Reloaded', z.object({ success: z.literal(true), clients_loaded: z.number() })),
            ...errors(...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const clients_loaded = await app.clientStore.reloadAll();
      app.audit({
        event: 'admin_action',
        ...adminActor(request),
        details: { action: 'clients.reload', clients_loaded },
      });
      return { success: true, clients_loaded };
    },
  );

  app.post(
    '/internal/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key for an internal service; the key is shown once',
        security: security.adminKey,
        body: apiKeyCreateSchema,
      },
      config: {
        openapi: {
          response: {
            201: ok('Created', apiKeyViewSchema.extend({ success: z.literal(true), api_key: z.string() })),
            ...errors(400, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request, reply) => {
      const { apiKey, key } = await createApiKey(deps, request.body, adminActor(request));
      return reply.code(201).send({ success: true, ...apiKeyView(apiKey), api_key: key });
    },
  );

  app.get(
    '/internal/api-keys',
    {
      schema: { tags: ['api-keys'], summary: 'List API keys (never the keys themselves)', security: security.adminKey },
      config: {
        openapi: {
          response: {
            200: ok('API keys', z.object({ success: z.literal(true), api_keys: z.array(apiKeyViewSchema) })),
            ...errors(...ADMIN_ERRORS),
          },
        },
      },
    },
    async () => {
      const keys = await app.repos.apiKeys.list();
      return { success: true, api_keys: keys.map(apiKeyView) };
    },
  );

  app.delete(
    '/internal/api-keys/:id',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key on every instance',
        security: security.adminKey,
        params: z.object({ id: apiKeyIdSchema }),
      },
      config: {
        openapi: {
          response: {
            200: ok('Revoked', z.object({ success: z.literal(true), id: z.string(), revoked: z.literal(true) })),
            ...errors(400, 404, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const key = await revokeApiKey(deps, request.params.id, adminActor(request));
      return { success: true, id: key.id, revoked: true };
    },
  );
};
