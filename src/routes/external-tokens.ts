import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiKey } from '../api-keys/api-key.js';
import { OAuthError } from '../oauth/errors.js';
import { mintExternalTokens, revokeExternalTokens, type ExternalTokenDeps } from '../oauth/external-tokens.js';
import { recordAuditEvent } from '../users/audit-events.js';
import { noStore } from './no-store.js';

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

/**
 * POST /oauth/external/token and /oauth/external/revoke, for a trusted external authentication
 * service holding an API key with scope `external` (product rule "OAuth"). Every call is audited, refusals
 * included.
 */
export const externalTokenRoutes: FastifyPluginAsyncZod = async (app) => {
  noStore(app);
  const deps: ExternalTokenDeps = {
    db: app.db,
    config: app.config,
    tokens: app.tokens,
    denyList: app.denyList,
    repos: app.repos,
    findClient: (id) => app.clientStore.findById(id),
  };

  // The API key is checked before the body is validated: a caller without a key learns nothing.
  const keys = new WeakMap<FastifyRequest, ApiKey>();
  const authenticate = async (request: FastifyRequest) => {
    try {
      keys.set(request, await app.authenticateApiKey(request, 'external'));
    } catch (err) {
      // A caller without a valid key (401), or one refused for too many (429, 503), is tallied
      // per address and minute (auth_failures), never one audit row per request.
      if (err instanceof OAuthError && err.status !== 403) throw err;
      refused(request, err);
    }
  };

  /** Audits a refusal with its error code (never the key or a token) and rethrows it. */
  function refused(request: FastifyRequest, err: unknown): never {
    const body = request.body as { client_id?: unknown } | undefined;
    recordAuditEvent(app, {
      event: 'external_token_refused',
      ...(typeof body?.client_id === 'string' ? { client_id: body.client_id.slice(0, 128) } : {}),
      details: {
        path: request.routeOptions.url,
        api_key_id: keys.get(request)?.id ?? null,
        reason: err instanceof OAuthError ? err.error : 'server_error',
      },
    });
    throw err;
  }

  app.post('/oauth/external/token', { preValidation: authenticate, schema: { body: mintBody } }, async (request) => {
    const body = request.body;
    const key = keys.get(request)!;
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
  });

  app.post('/oauth/external/revoke', { preValidation: authenticate, schema: { body: revokeBody } }, async (request) => {
    const body = request.body;
    const key = keys.get(request)!;
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
  });
};
