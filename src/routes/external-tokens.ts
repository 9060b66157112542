import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireApiKey } from '../guards/require-api-key.js';
import { ApiError } from '../oauth/errors.js';
import { mintExternalTokens, revokeExternalTokens, type ExternalTokenDeps } from '../oauth/external-tokens.js';
import { errors, ok, security, tokenResponse } from '../openapi/components.js';
import { recordAuditEvent } from '../users/audit-events.js';
import { noStore } from '../http/no-store.js';

// Form bodies carry booleans as strings.
const booleanish = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const subject = z.string().trim().min(1).max(320);
const clientId = z.string().min(1).max(128);

const mintBody = z.object({
  client_id: clientId,
  subject,
  scope: z.string().min(1).max(1000),
  create: booleanish.optional(),
  email: z.email().max(254).optional(),
});
const revokeBody = z.object({ client_id: clientId, subject });
const tags = ['external'];
/** The key refused (401/403), limited (429), storage down (503); 400 for a bad body or client. */
const EXTERNAL_ERRORS = [400, 401, 403, 404, 429, 503] as const;

/**
 * POST /oauth/external/token and /oauth/external/revoke, for a trusted external authentication
 * service holding an API key with scope `external` (product rule "OAuth"). Every call is audited, refusals
 * included.
 */
export const externalTokenRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', noStore);
  const deps: ExternalTokenDeps = {
    db: app.db,
    config: app.config,
    tokens: app.tokens,
    denyList: app.denyList,
    repos: app.repos,
    findClient: (id) => app.clientStore.findById(id),
  };

  // The API key is checked before the body is validated: a caller without a key learns nothing.
  app.addHook(
    'preValidation',
    requireApiKey('external', {
      // A caller without a valid key (401), or one refused for too many (429, 503), is tallied
      // per address and minute (auth_failures), never one audit row per request.
      refused: (request, err) => {
        if (!(err instanceof ApiError) || err.status === 403) audit(request, err, null);
      },
    }),
  );

  /** Audits a refusal with its error code (never the key or a token). */
  function audit(request: FastifyRequest, err: unknown, apiKeyId: string | null): void {
    const body = request.body as { client_id?: unknown } | undefined;
    recordAuditEvent(app, {
      event: 'external_token_refused',
      ...(typeof body?.client_id === 'string' ? { client_id: body.client_id.slice(0, 128) } : {}),
      details: {
        path: request.routeOptions.url,
        api_key_id: apiKeyId,
        reason: err instanceof ApiError ? err.error : 'server_error',
      },
    });
  }

  /** Audits a refusal of a request whose key passed, and rethrows it. */
  function refused(request: FastifyRequest, err: unknown): never {
    audit(request, err, request.apiKey.id);
    throw err;
  }

  app.post(
    '/oauth/external/token',
    {
      schema: {
        tags,
        summary: 'Mint tokens for a person on behalf of a trusted external authentication service',
        security: security.apiKey,
        body: mintBody,
      },
      config: { openapi: { response: { 200: ok('Tokens', tokenResponse), ...errors(...EXTERNAL_ERRORS) } } },
    },
    async (request) => {
      const body = request.body;
      const key = request.apiKey;
      try {
        const { user, created, response } = await mintExternalTokens(deps, {
          allowedClients: key.allowed_clients,
          clientId: body.client_id,
          subject: body.subject,
          scope: body.scope,
          create: body.create ?? false,
          email: body.email,
        });
        recordAuditEvent(app, {
          event: 'external_token_minted',
          subject: user.id,
          client_id: body.client_id,
          details: { api_key_id: key.id, scope: response.scope, user_created: created },
        });
        return response;
      } catch (err) {
        return refused(request, err);
      }
    },
  );

  app.post(
    '/oauth/external/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke every grant a person holds with a client, on behalf of an external authentication service',
        security: security.apiKey,
        body: revokeBody,
      },
      config: {
        openapi: {
          response: {
            200: ok('Revoked', z.object({ success: z.literal(true), revoked: z.number().int() })),
            ...errors(...EXTERNAL_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const body = request.body;
      const key = request.apiKey;
      try {
        const { user, revoked } = await revokeExternalTokens(deps, {
          allowedClients: key.allowed_clients,
          clientId: body.client_id,
          subject: body.subject,
        });
        recordAuditEvent(app, {
          event: 'external_tokens_revoked',
          subject: user.id,
          client_id: body.client_id,
          details: { api_key_id: key.id, families_revoked: revoked.length },
        });
        return { success: true, revoked: revoked.length };
      } catch (err) {
        return refused(request, err);
      }
    },
  );
};
