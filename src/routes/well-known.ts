import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JWK } from 'jose';
import type { Config } from '../config/schema.js';
import { GRANT_TYPES, ID_TOKEN_ALGORITHMS } from '../clients/client.js';
import { publicMembersOf } from '../crypto/signing-key-material.js';
import { errors, ok, security } from '../openapi/components.js';

/** Public, identical for every caller, and only changes on rotation (which keeps old keys listed). */
const CACHE_CONTROL = 'public, max-age=300';

/**
 * RFC 8414 §2 and OpenID Connect Discovery 1.0 §3. One document serves both paths: every
 * member is valid in both registries, and clients of either find what they look for.
 */
export function authorizationServerMetadata(config: Config) {
  const base = config.public_url;
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    revocation_endpoint: `${base}/oauth/revoke`,
    introspection_endpoint: `${base}/oauth/introspect`,
    userinfo_endpoint: `${base}/userinfo`,
    // OpenID Connect RP-Initiated Logout 1.0 §2.1.
    end_session_endpoint: `${base}/oauth/logout`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    // RFC 8628 §4: the device authorization endpoint and its grant type.
    device_authorization_endpoint: `${base}/oauth/device_authorization`,
    grant_types_supported: [...GRANT_TYPES],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    // RFC 7009 §2.1: public clients revoke by naming their client_id.
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    // RFC 7662 §2.1: the introspection endpoint requires authorization; public clients have none.
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // RFC 9700 §2.1.1: "plain" is not offered.
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    // RFC 9207 §3: the authorization response carries iss.
    authorization_response_iss_parameter_supported: true,
    subject_types_supported: ['public'],
    // OIDC Discovery §3: "The value RS256 MUST be included."
    id_token_signing_alg_values_supported: [...ID_TOKEN_ALGORITHMS],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'name',
      'given_name',
      'family_name',
      'preferred_username',
      'picture',
      'email',
      'email_verified',
    ],
    // OIDC Core §6: request objects are answered with request_not_supported /
    // request_uri_not_supported. OIDC Discovery §3: request_uri_parameter_supported defaults to
    // true when omitted, so both are stated.
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    claims_parameter_supported: false,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
  };
}

const tags = ['discovery'];
const metadataSchema = z
  .object({ issuer: z.string(), token_endpoint: z.string(), jwks_uri: z.string() })
  .loose()
  .describe('Every member of RFC 8414 §2 and OpenID Connect Discovery 1.0 §3 that applies');
const metadataDocs = (summary: string) => ({
  schema: { tags, summary, security: security.none },
  config: { openapi: { response: { 200: ok('The metadata', metadataSchema), ...errors(503) } } },
});

export const wellKnownRoutes: FastifyPluginAsyncZod = async (app) => {
  const metadata = authorizationServerMetadata(app.config);
  const serveMetadata = async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', CACHE_CONTROL);
    return metadata;
  };

  app.get(
    '/.well-known/oauth-authorization-server',
    metadataDocs('Authorization server metadata (RFC 8414)'),
    serveMetadata,
  );
  app.get(
    '/.well-known/openid-configuration',
    metadataDocs('OpenID Provider metadata (OpenID Connect Discovery 1.0 §4); the same document'),
    serveMetadata,
  );

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags,
        summary: 'The public signing keys (RFC 7517), old ones kept while tokens they signed are alive',
        security: security.none,
      },
      config: {
        openapi: {
          response: {
            200: ok('The key set', z.object({ keys: z.array(z.record(z.string(), z.unknown())) })),
            ...errors(503),
          },
        },
      },
    },
    async (_request, reply) => {
      // The store already holds public members only; filtering again here means a mistake
      // elsewhere can never publish a private member (d, p, q, …).
      const keys: JWK[] = app.tokens.jwks().keys.map(publicMembersOf);
      reply.header('cache-control', CACHE_CONTROL);
      return { keys };
    },
  );
};
