import type { FastifyReply, FastifyRequest } from 'fastify';
import { googleAuthorizationUrl } from './google-authorization.js';

export interface BeginSignInOptions {
  /** A path on this site to return to after the callback. */
  returnTo: string;
  /** Make the person pick and re-enter their Google account (re-authentication). */
  selectAccount: boolean;
  loginHint?: string | undefined;
}

/**
 * Sends the browser to Google with fresh state, nonce and PKCE bound to it in the state cookie
 * (RFC 6749 §10.12, RFC 7636), as /auth/google/start does, for a caller that needs a new
 * authentication (OIDC Core §3.1.2.1 prompt=login, max_age).
 */
export async function beginGoogleSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  opts: BeginSignInOptions,
): Promise<FastifyReply> {
  const app = request.server;
  const config = app.config;
  // Google returns a refresh token only when consent is shown: ask for it when the signed-in
  // person has none (without a session, the callback asks once more if it got none).
  let promptConsent = false;
  if (request.user) {
    const held = await app.repos.googleCredentials.findByOwner({ userId: request.user.id });
    promptConsent = !held?.hasRefreshToken;
  }
  const secure = new URL(config.public_url).protocol === 'https:';
  const url = googleAuthorizationUrl(
    reply,
    { google: app.google, secure },
    {
      returnTo: opts.returnTo,
      redirectUri: `${config.public_url}/auth/google/callback`,
      promptConsent,
      selectAccount: opts.selectAccount,
      ...(opts.loginHint ? { loginHint: opts.loginHint } : {}),
    },
  );
  return reply.header('cache-control', 'no-store').redirect(url, 302);
}
