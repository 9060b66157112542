import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listSigningKeys, rotateSigningKeysAudited } from '../../admin/signing-keys.js';
import { ADMIN_ERRORS, errors, security } from '../../openapi/components.js';
import { adminActor, requireAdmin } from '../../guards/require-admin.js';

const tags = ['signing-keys'];

const signingKeyView = z.object({
  kid: z.string(),
  algorithm: z.string(),
  status: z.enum(['active', 'retired']),
  encryption_key_id: z.string(),
  created_at: z.string(),
  retired_at: z.string().nullable(),
});

/** GET|POST /internal/signing-keys (X-Admin-Key): list the token signing keys, rotate them. */
export const adminSigningKeyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', requireAdmin);

  app.get(
    '/internal/signing-keys',
    {
      schema: {
        tags,
        summary: 'Token signing keys, newest first (public facts only; never key material)',
        security: security.adminKey,
        response: {
          200: z
            .object({ success: z.literal(true), signing_keys: z.array(signingKeyView) })
            .describe('The signing keys, newest first'),
        },
      },
      config: { openapi: { response: errors(...ADMIN_ERRORS) } },
    },
    async () => ({ success: true as const, signing_keys: await listSigningKeys(app.repos) }),
  );

  app.post(
    '/internal/signing-keys',
    {
      schema: {
        tags,
        summary:
          'Rotate: a new active key for every asymmetric algorithm in use; retired keys stay in the JWKS until their tokens expire',
        security: security.adminKey,
        response: {
          200: z
            .object({
              success: z.literal(true),
              rotated: z.array(z.object({ alg: z.string(), kid: z.string(), retired_kid: z.string().nullable() })),
            })
            .describe('The keys after rotation'),
        },
      },
      config: { openapi: { response: errors(...ADMIN_ERRORS) } },
    },
    async (request) => ({ success: true as const, rotated: await rotateSigningKeysAudited(app, adminActor(request)) }),
  );
};
