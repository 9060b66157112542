import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import { randomToken } from '../crypto/random.js';
import type { AuthorizationUrlParams, GoogleClient } from '../google/client.js';
import { createPkcePair } from '../google/pkce.js';
import { setStateCookie } from './state-cookie.js';

export interface GoogleAuthorization extends Omit<AuthorizationUrlParams, 'state' | 'nonce' | 'codeChallenge'> {
  /** A path on this site to return to after the callback. */
  returnTo: string;
  /** Set when the attempt connects a Google account to a connection (the spent connect link). */
  connectLinkId?: string;
}

/**
 * Fresh state, nonce and PKCE verifier, bound to this browser in the state cookie (RFC 6749
 * §10.12, OIDC Core §3.1.2.1, RFC 7636), and the Google authorization URL that carries them:
 * every sign-in and every connect link leaves for Google through here.
 */
export function googleAuthorizationUrl(
  reply: FastifyReply,
  deps: { google: Pick<GoogleClient, 'buildAuthorizationUrl'>; secure: boolean },
  request: GoogleAuthorization,
): string {
  const { returnTo, connectLinkId, ...params } = request;
  const state = randomToken(32);
  const nonce = randomToken(32);
  const pkce = createPkcePair();
  setStateCookie(
    reply,
    {
      state,
      nonce,
      verifier: pkce.verifier,
      returnTo,
      promptedConsent: params.promptConsent,
      ...(connectLinkId ? { connectLinkId } : {}),
    },
    deps.secure,
  );
  return deps.google.buildAuthorizationUrl({ ...params, state, nonce, codeChallenge: pkce.challenge });
}

const callbackParam = z.string().max(4096).optional();

/** What Google sends back to a redirect URI (RFC 6749 §4.1.2, §4.1.2.1): each field optional, checked by the callback. */
export const googleCallbackQuery = z.object({
  code: callbackParam,
  state: callbackParam,
  error: callbackParam,
  error_description: callbackParam,
});
