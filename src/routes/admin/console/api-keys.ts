import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  apiKeyCreateSchema,
  apiKeyIdSchema,
  createApiKey,
  revokeApiKey,
  type ApiKeyAdminDeps,
} from '../../../api-keys/api-key-admin.js';
import { API_KEY_SCOPES } from '../../../api-keys/api-key.js';
import { consoleActor } from '../../../admin/console-access.js';
import { apiKeyCreatedBody, apiKeysBody } from '../../../views/admin/pages/api-keys.js';
import { checkbox, field, formBase, lines, noticeQuery, renderConsole } from '../../../admin/console-forms.js';

const createForm = formBase.extend({
  name: field(100),
  // One checkbox per scope, each its own field: repeated parameters are refused app-wide.
  scope_tokens: checkbox,
  scope_connections: checkbox,
  scope_external: checkbox,
  default_subject: field(320),
  default_connection: field(200),
  allowed_clients: field(20_000),
});

/** /admin/api-keys: list (last used), create with scopes, default subject and allowed clients (shown once), revoke. */
export const consoleApiKeyRoutes: FastifyPluginAsyncZod = async (app) => {
  const deps: ApiKeyAdminDeps = {
    apiKeys: app.repos.apiKeys,
    hasher: app.secretHasher,
    changed: (key) => app.apiKeys.changed(key),
    audit: app.audit,
  };
  const csrf = (idHash: string) => app.csrf.tokenFor(idHash);

  app.get('/admin/api-keys', { schema: { hide: true, querystring: noticeQuery } }, async (request, reply) =>
    renderConsole(request, reply, {
      title: 'API keys',
      section: 'api-keys',
      body: apiKeysBody(await app.repos.apiKeys.list(), csrf(request.session!.idHash)),
    }),
  );

  app.post('/admin/api-keys', { schema: { hide: true, body: createForm } }, async (request, reply) => {
    const f = request.body;
    const parsed = apiKeyCreateSchema.safeParse({
      name: f.name,
      scopes: API_KEY_SCOPES.filter((s) => f[`scope_${s}`]),
      ...(f.default_subject ? { default_subject: { subject: f.default_subject } } : {}),
      ...(f.default_connection && !f.default_subject
        ? { default_subject: { connection_id: f.default_connection } }
        : {}),
      ...(f.allowed_clients ? { allowed_clients: lines(f.allowed_clients) } : {}),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return renderConsole(request, reply, {
        title: 'API keys',
        section: 'api-keys',
        body: apiKeysBody(
          await app.repos.apiKeys.list(),
          csrf(request.session!.idHash),
          `Not created: ${issue.path.join('.') || 'form'} ${issue.message}.`,
        ),
        status: 400,
      });
    }
    const { apiKey, key } = await createApiKey(deps, parsed.data, consoleActor(request));
    return renderConsole(request, reply, {
      title: 'API key created',
      section: 'api-keys',
      body: apiKeyCreatedBody(apiKey, key),
      status: 201,
    });
  });

  app.post(
    '/admin/api-keys/:id/revoke',
    { schema: { hide: true, params: z.object({ id: apiKeyIdSchema }), body: formBase } },
    async (request, reply) => {
      await revokeApiKey(deps, request.params.id, consoleActor(request));
      return reply.redirect('/admin/api-keys?done=api_key_revoked', 303);
    },
  );
};
