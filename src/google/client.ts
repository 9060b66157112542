import { z } from 'zod';
import { GoogleError, type GoogleEndpoint } from './errors.js';
import { callGoogle } from './http.js';
import { createIdTokenVerifier, type IdTokenVerifyOptions } from './id-token.js';
import {
  tokenResponseSchema,
  tokeninfoSchema,
  userinfoSchema,
  type GoogleIdTokenClaims,
  type GoogleTokenResponse,
  type GoogleTokeninfo,
  type GoogleUserinfo,
} from './responses.js';
import type { GoogleSettings } from './settings.js';

/** Always asked for: the identity Gatehouse signs people in with. */
export const IDENTITY_SCOPES = ['openid', 'email', 'profile'] as const;

export interface AuthorizationUrlParams {
  state: string;
  nonce: string;
  /** S256 challenge of the PKCE verifier kept in the browser's state cookie. */
  codeChallenge: string;
  redirectUri: string;
  /** Extra scopes for this request, added to openid email profile and GOOGLE_SCOPES. */
  scopes?: readonly string[];
  /** Ask Google to show consent again: the only way to get a new refresh token. */
  promptConsent: boolean;
  /** Ask Google to let the person pick (and re-enter) their account: re-authentication. */
  selectAccount?: boolean;
  loginHint?: string;
}

export interface GoogleClient {
  readonly settings: GoogleSettings;
  buildAuthorizationUrl(params: AuthorizationUrlParams): string;
  exchangeCode(code: string, verifier: string, redirectUri: string): Promise<GoogleTokenResponse>;
  /** `timeoutMs` narrows the configured timeout (the broker's retries share one budget). */
  refreshAccessToken(refreshToken: string, opts?: { timeoutMs?: number }): Promise<GoogleTokenResponse>;
  /** nonce undefined: no nonce is checked (tokens not from our own authorization request). */
  verifyIdToken(idToken: string, nonce: string | undefined, opts?: IdTokenVerifyOptions): Promise<GoogleIdTokenClaims>;
  fetchUserinfo(accessToken: string): Promise<GoogleUserinfo>;
  tokeninfo(accessToken: string): Promise<GoogleTokeninfo>;
  revoke(token: string): Promise<void>;
}

export function createGoogleClient(settings: GoogleSettings): GoogleClient {
  const timeoutMs = settings.timeoutMs;
  const clientAuth = { client_id: settings.clientId, client_secret: settings.clientSecret };

  return {
    settings,

    buildAuthorizationUrl(p) {
      const scopes = new Set<string>([...IDENTITY_SCOPES, ...settings.scopes, ...(p.scopes ?? [])]);
      const url = new URL(settings.authUrl);
      const q = url.searchParams;
      q.set('client_id', settings.clientId);
      q.set('redirect_uri', p.redirectUri);
      q.set('response_type', 'code');
      q.set('scope', [...scopes].join(' '));
      q.set('state', p.state);
      q.set('nonce', p.nonce);
      // RFC 7636 §4.3; plain is never used (RFC 9700 §2.1.1).
      q.set('code_challenge', p.codeChallenge);
      q.set('code_challenge_method', 'S256');
      // Google: offline access returns a refresh token (on first consent); incremental
      // authorization keeps the scopes granted earlier in the new grant.
      q.set('access_type', 'offline');
      q.set('include_granted_scopes', 'true');
      const prompt = [...(p.selectAccount ? ['select_account'] : []), ...(p.promptConsent ? ['consent'] : [])];
      if (prompt.length > 0) q.set('prompt', prompt.join(' '));
      if (p.loginHint) q.set('login_hint', p.loginHint);
      return url.toString();
    },

    async exchangeCode(code, verifier, redirectUri) {
      // RFC 6749 §4.1.3 + RFC 7636 §4.5
      const body = await callGoogle({
        endpoint: 'token',
        url: settings.tokenUrl,
        method: 'POST',
        timeoutMs,
        form: {
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          redirect_uri: redirectUri,
          ...clientAuth,
        },
      });
      return parse(tokenResponseSchema, body, 'token');
    },

    async refreshAccessToken(refreshToken, opts = {}) {
      // RFC 6749 §6
      const body = await callGoogle({
        endpoint: 'token',
        url: settings.tokenUrl,
        method: 'POST',
        timeoutMs: Math.max(1, Math.min(timeoutMs, opts.timeoutMs ?? timeoutMs)),
        form: { grant_type: 'refresh_token', refresh_token: refreshToken, ...clientAuth },
      });
      return parse(tokenResponseSchema, body, 'token');
    },

    verifyIdToken: createIdTokenVerifier(settings),

    async fetchUserinfo(accessToken) {
      const body = await callGoogle({
        endpoint: 'userinfo',
        url: settings.userinfoUrl,
        method: 'GET',
        timeoutMs,
        headers: { authorization: `Bearer ${accessToken}` },
      });
      return parse(userinfoSchema, body, 'userinfo');
    },

    async tokeninfo(accessToken) {
      // POST keeps the token out of URLs (and so out of any proxy's access log); Google's
      // tokeninfo accepts the form body as well as the query.
      const body = await callGoogle({
        endpoint: 'tokeninfo',
        url: settings.tokeninfoUrl,
        method: 'POST',
        timeoutMs,
        form: { access_token: accessToken },
      });
      return parse(tokeninfoSchema, body, 'tokeninfo');
    },

    async revoke(token) {
      // RFC 7009 §2.1; Google revokes the whole grant whichever of its tokens is sent.
      await callGoogle({ endpoint: 'revoke', url: settings.revokeUrl, method: 'POST', timeoutMs, form: { token } });
    },
  };
}

function parse<T extends z.ZodType>(schema: T, body: unknown, endpoint: GoogleEndpoint): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) {
    const field = result.error.issues[0]?.path.join('.') || 'body';
    throw new GoogleError('invalid_response', endpoint, `unexpected response shape at ${field}`);
  }
  return result.data;
}

export { GoogleError } from './errors.js';
export type { GoogleIdTokenClaims, GoogleTokenResponse, GoogleTokeninfo, GoogleUserinfo } from './responses.js';
