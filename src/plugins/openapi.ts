import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';
import { DEV_MOCK_PREFIX } from '../google/settings.js';
import { errors, ok, openapiRegistry, security, type DocResponse } from '../openapi/components.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Documentation-only schemas: merged into the route's entry in /openapi.json and never used
     * to validate or serialize. For routes that validate by hand (POST /clients/register maps
     * zod issues to RFC 7591 codes) or loosely (OAuth form bodies), and for responses, which we
     * document without letting a serializer reshape what the handler sends.
     */
    openapi?: {
      body?: $ZodType;
      querystring?: $ZodType;
      response?: Record<number, DocResponse>;
    };
  }
}

export const DOCS_PREFIX = '/docs';

/**
 * /docs pages set their own CSP (replacing any global one, e.g. from @fastify/helmet): swagger-ui
 * loads only its own scripts and styles from /docs/static and fetches /docs/json.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const zodTransform = createJsonSchemaTransform({ schemaRegistry: openapiRegistry });

/**
 * OpenAPI 3.1 document built from the zod schemas routes validate with. Must be registered
 * before any route: @fastify/swagger collects routes in an onRoute hook.
 */
export const openapiPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Gatehouse',
          description: 'OAuth 2.0 authorization server and Google token vault',
          version: '0.1.0',
        },
        servers: [{ url: app.config.public_url }],
        components: {
          securitySchemes: {
            adminKey: { type: 'apiKey', in: 'header', name: 'X-Admin-Key', description: 'The ADMIN_KEY secret' },
            clientBasic: { type: 'http', scheme: 'basic', description: 'OAuth client id and secret (RFC 6749 §2.3.1)' },
            apiKey: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'gh_<prefix>_<secret>',
              description: 'An internal service API key',
            },
            accessToken: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: 'A Gatehouse access token (RFC 9068)',
            },
          },
        },
        // Routes are public unless their schema says otherwise.
        security: security.none,
      },
      transform: (input) => {
        // The dev-mode mock Google is not Gatehouse's API (pages and assets hide themselves).
        if (input.url.startsWith(DEV_MOCK_PREFIX)) return { schema: { hide: true }, url: input.url };
        const docs = input.route.config?.openapi;
        if (!docs) return zodTransform(input);
        const schema = { ...(input.schema ?? {}) } as Record<string, unknown>;
        // A documented body replaces the validating one: OAuth bodies validate as plain form
        // parameters, and are documented field by field.
        if (docs.body) schema.body = docs.body;
        if (docs.querystring && !schema.querystring) schema.querystring = docs.querystring;
        if (docs.response) schema.response = { ...docs.response, ...(schema.response as object | undefined) };
        return zodTransform({ ...input, schema });
      },
      transformObject: createJsonSchemaTransformObject({ schemaRegistry: openapiRegistry }),
    });
    await app.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      staticCSP: DOCS_CSP,
      uiConfig: { deepLinking: false },
    });
    app.get(
      '/openapi.json',
      {
        schema: { tags: ['operations'], summary: 'This OpenAPI 3.1 document', security: security.none },
        config: {
          openapi: {
            response: {
              200: ok('The document', z.object({ openapi: z.string() }).loose()),
              ...errors(503),
            },
          },
        },
      },
      async () => app.swagger(),
    );
  },
  { name: 'openapi', dependencies: ['core'] },
);
