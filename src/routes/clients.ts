import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParams } from '../admin/id-params.js';
import { publicView } from '../clients/client.js';
import {
  disableClient,
  purgeClient,
  registerClient,
  registrationResponse,
  rotateClientSecret,
  rotationResponse,
  updateClient,
} from '../clients/client-admin.js';
import { clientPatchSchema, registrationSchema } from '../clients/registration.js';
import { ADMIN_ERRORS, errors, ok, security } from '../openapi/components.js';
import { notFound } from '../oauth/errors.js';
import { adminActor, requireAdmin } from '../guards/require-admin.js';

const clientView = z.object({
  id: z.string(),
  app_name: z.string(),
  contact_email: z.string(),
  redirect_uris: z.array(z.string()),
  redirect_url: z.string().nullable(),
  grant_types: z.array(z.string()),
  scope: z.string(),
  token_endpoint_auth_method: z.string(),
  first_party: z.boolean(),
  resource_server: z.boolean(),
  id_token_signed_response_alg: z.string().nullable(),
  post_logout_redirect_uris: z.array(z.string()),
  disabled: z.boolean(),
  version: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});

const registered = z.object({
  success: z.literal(true),
  client_id: z.string(),
  client_secret: z.string().optional().describe('Shown once; absent for public clients'),
  client_secret_expires_at: z.literal(0).optional(),
  client_id_issued_at: z.number(),
  redirect_url: z.string().nullable(),
  redirect_urls: z.array(z.string()),
  grant_types: z.array(z.string()),
  token_endpoint_auth_method: z.string(),
  app_name: z.string(),
  scope: z.string(),
  first_party: z.boolean(),
  resource_server: z.boolean(),
  post_logout_redirect_urls: z.array(z.string()),
  id_token_signed_response_alg: z.string().optional(),
});

const tags = ['clients'];

/** Admin API for OAuth clients; every route requires X-Admin-Key. */
export const clientRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', requireAdmin);
  const deps = app.clientAdmin;

  app.post(
    '/clients/register',
    {
      schema: {
        tags,
        summary: 'Register an OAuth client (RFC 7591); the secret is shown once',
        description:
          'Errors: 400 invalid_redirect_uri for a bad redirect URL, 400 invalid_client_metadata for any other bad field.',
        security: security.adminKey,
      },
      // Documentation only: the handler validates itself so zod issues map to RFC 7591 codes.
      config: {
        openapi: {
          body: registrationSchema,
          response: { 201: ok('Registered', registered), ...errors(400, ...ADMIN_ERRORS) },
        },
      },
    },
    async (request, reply) => {
      const { client, secret } = await registerClient(deps, request.body, adminActor(request));
      return reply.code(201).send(registrationResponse(client, secret));
    },
  );

  app.get(
    '/clients',
    {
      schema: {
        tags,
        summary: 'List clients, newest first',
        security: security.adminKey,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          include_disabled: z.enum(['true', 'false']).default('false'),
        }),
      },
      config: {
        openapi: {
          response: {
            200: ok('Clients', z.object({ success: z.literal(true), clients: z.array(clientView) })),
            ...errors(400, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const clients = await app.repos.clients.list({
        limit: request.query.limit,
        includeDisabled: request.query.include_disabled === 'true',
      });
      return { success: true, clients: clients.map(publicView) };
    },
  );

  app.get(
    '/clients/:id',
    {
      schema: { tags, summary: 'One client (never its secret)', security: security.adminKey, params: idParams },
      config: {
        openapi: {
          response: {
            200: ok('The client', z.object({ success: z.literal(true), client: clientView })),
            ...errors(404, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const client = await app.repos.clients.findById(request.params.id);
      if (!client) throw notFound('no such client');
      return { success: true, client: publicView(client) };
    },
  );

  app.patch(
    '/clients/:id',
    {
      schema: {
        tags,
        summary: 'Change a client (the fields given); the result is validated as a registration',
        description: 'Errors: 400 invalid_redirect_uri or invalid_client_metadata, 404 not_found.',
        security: security.adminKey,
        params: idParams,
      },
      config: {
        openapi: {
          body: clientPatchSchema,
          response: {
            200: ok('The client', z.object({ success: z.literal(true), client: clientView })),
            ...errors(400, 404, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const client = await updateClient(deps, request.params.id, request.body, adminActor(request));
      return { success: true, client: publicView(client) };
    },
  );

  app.delete(
    '/clients/:id',
    {
      schema: {
        tags,
        summary: 'Disable a client on every instance (idempotent); purge=true also deletes its tokens and consents',
        security: security.adminKey,
        params: idParams,
        querystring: z.object({ purge: z.enum(['true', 'false']).default('false') }),
      },
      config: {
        openapi: {
          response: {
            200: ok(
              'Disabled',
              z.object({
                success: z.literal(true),
                client_id: z.string(),
                disabled: z.literal(true),
                purged: z.record(z.string(), z.number()).optional(),
              }),
            ),
            ...errors(404, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request) => {
      if (request.query.purge !== 'true') {
        const client = await disableClient(deps, request.params.id, adminActor(request));
        return { success: true, client_id: client.id, disabled: true };
      }
      const outcome = await purgeClient(deps, request.params.id, adminActor(request));
      return { success: true, client_id: outcome.client.id, disabled: true, purged: outcome.counts };
    },
  );

  app.post(
    '/clients/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: "Replace a confidential client's secret; the new one is shown once",
        security: security.adminKey,
        params: idParams,
      },
      config: {
        openapi: {
          response: {
            200: ok(
              'The new secret',
              z.object({
                success: z.literal(true),
                client_id: z.string(),
                client_secret: z.string(),
                client_secret_expires_at: z.literal(0),
              }),
            ),
            ...errors(400, 404, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const { client, secret } = await rotateClientSecret(deps, request.params.id, adminActor(request));
      return rotationResponse(client, secret);
    },
  );
};
