import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { API_KEY_SCOPES, apiKeyView, generateApiKey } from '../api-keys/api-key.js';
import { randomId } from '../crypto/random.js';
import { notFound } from '../oauth/errors.js';
import { apiKeysRepository } from '../repositories/api-keys.js';

/** Admin API for internal services: API keys and the client cache reload. */
export const internalRoutes: FastifyPluginAsync = async (scope) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', app.requireAdminKey);

  app.post('/internal/reload-clients', async () => {
    const clients_loaded = await app.clientStore.reloadAll();
    return { success: true, clients_loaded };
  });

  app.post(
    '/internal/api-keys',
    {
      schema: {
        body: z.object({
          name: z.string().trim().min(1).max(100),
          scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length).optional(),
        }),
      },
    },
    async (request, reply) => {
      const { key, lookupPrefix } = generateApiKey();
      const created = await apiKeysRepository.insert(app.db, {
        id: randomId(),
        name: request.body.name,
        lookupPrefix,
        keyHash: await app.secretHasher.hash(key),
        scopes: [...new Set(request.body.scopes ?? ['tokens' as const])],
      });
      return reply.code(201).send({ success: true, ...apiKeyView(created), api_key: key });
    },
  );

  app.get('/internal/api-keys', async () => {
    const keys = await apiKeysRepository.list(app.db);
    return { success: true, api_keys: keys.map(apiKeyView) };
  });

  app.delete('/internal/api-keys/:id', { schema: { params: z.object({ id: z.uuid() }) } }, async (request) => {
    const key = await apiKeysRepository.revoke(app.db, request.params.id);
    if (!key) throw notFound('no such API key');
    await app.apiKeys.changed(key);
    return { success: true, id: key.id, revoked: true };
  });
};
