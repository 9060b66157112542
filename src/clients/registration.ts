import { z } from 'zod';
import { isLoopbackHost } from '../config/schema.js';
import {
  DEVICE_CODE_GRANT_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
  GRANT_TYPES,
  AUTH_METHODS,
  ID_TOKEN_ALGORITHMS,
} from './client.js';

export const DEFAULT_CLIENT_SCOPE = 'openid profile email';
export const MAX_REDIRECT_URIS = 10;

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Why a redirect URI is refused, or null when it is acceptable: absolute https, or http on a
 * loopback host (RFC 8252 §7.3); no fragment (RFC 6749 §3.1.2), no wildcard, no credentials.
 */
export function redirectUriProblem(value: string): string | null {
  if (value.length > 2000) return 'is longer than 2000 characters';
  if (value.includes('*')) return 'must not contain a wildcard';
  if (value.includes('#')) return 'must not contain a fragment';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return 'must use https (http only on 127.0.0.1, [::1] or localhost)';
}

const redirectUri = z.string().superRefine((v, ctx) => {
  const problem = redirectUriProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: `redirect URL ${problem}` });
});

/** POST /clients/register body (RFC 7591 metadata plus Gatehouse's names). Unknown fields are ignored (RFC 7591 §2). */
export const registrationSchema = z
  .object({
    app_name: z.string().trim().min(1).max(100),
    contact_email: z.email().max(254),
    redirect_url: redirectUri.optional(),
    redirect_urls: z.array(redirectUri).max(MAX_REDIRECT_URIS).optional(),
    // RP-Initiated Logout §3.1 (post_logout_redirect_uris); Gatehouse's name ends in _urls.
    post_logout_redirect_urls: z.array(redirectUri).max(MAX_REDIRECT_URIS).optional(),
    id_token_signed_response_alg: z.enum(ID_TOKEN_ALGORITHMS).optional(),
    grant_types: z.array(z.enum(GRANT_TYPES)).min(1).optional(),
    scope: z
      .string()
      .max(1000)
      .refine(
        (s) => s.split(' ').every((t) => SCOPE_TOKEN.test(t)),
        'scope must be space-separated RFC 6749 scope tokens',
      )
      .optional(),
    token_endpoint_auth_method: z.enum(AUTH_METHODS).optional(),
    first_party: z.boolean().optional(),
    resource_server: z.boolean().optional(),
  })
  .transform((b, ctx) => {
    const redirect_uris = [...new Set([...(b.redirect_url ? [b.redirect_url] : []), ...(b.redirect_urls ?? [])])];
    const grant_types = [...new Set(b.grant_types ?? (['authorization_code', 'refresh_token'] as const))];
    const method = b.token_endpoint_auth_method ?? 'client_secret_basic';
    const scope = [...new Set((b.scope ?? DEFAULT_CLIENT_SCOPE).split(' '))].join(' ');
    const fail = (path: string, message: string) => {
      ctx.addIssue({ code: 'custom', path: [path], message });
      return z.NEVER;
    };
    if (redirect_uris.length > MAX_REDIRECT_URIS)
      return fail('redirect_urls', `at most ${MAX_REDIRECT_URIS} redirect URLs`);
    if (grant_types.includes('authorization_code') && redirect_uris.length === 0) {
      return fail('redirect_urls', 'authorization_code clients need at least one redirect URL');
    }
    if (
      grant_types.includes('refresh_token') &&
      !grant_types.includes('authorization_code') &&
      !grant_types.includes(DEVICE_CODE_GRANT_TYPE)
    ) {
      return fail('grant_types', `refresh_token is only issued with authorization_code or ${DEVICE_CODE_GRANT_TYPE}`);
    }
    if (method === 'none' && grant_types.includes('client_credentials')) {
      return fail('token_endpoint_auth_method', "a public client ('none') cannot use client_credentials");
    }
    // RFC 8693 token exchange hands out Google tokens: only to clients that authenticate.
    if (method === 'none' && grant_types.includes(TOKEN_EXCHANGE_GRANT_TYPE)) {
      return fail('token_endpoint_auth_method', "a public client ('none') cannot use token exchange");
    }
    return {
      app_name: b.app_name,
      contact_email: b.contact_email,
      redirect_uris,
      grant_types,
      scope,
      token_endpoint_auth_method: method,
      first_party: b.first_party ?? false,
      resource_server: b.resource_server ?? false,
      id_token_signed_response_alg: b.id_token_signed_response_alg ?? null,
      post_logout_redirect_uris: [...new Set(b.post_logout_redirect_urls ?? [])],
    };
  });

/**
 * PATCH /clients/:id: the fields an admin may change (strict: anything else, such as the
 * authentication method or the secret, is refused). The merged client is then validated as a
 * registration.
 */
export const clientPatchSchema = z
  .object({
    app_name: z.string().trim().min(1).max(100),
    contact_email: z.email().max(254),
    redirect_urls: z.array(redirectUri).max(MAX_REDIRECT_URIS),
    post_logout_redirect_urls: z.array(redirectUri).max(MAX_REDIRECT_URIS),
    scope: z.string().max(1000),
    grant_types: z.array(z.enum(GRANT_TYPES)).min(1),
    first_party: z.boolean(),
    resource_server: z.boolean(),
    id_token_signed_response_alg: z.enum(ID_TOKEN_ALGORITHMS),
  })
  .partial()
  .strict();
