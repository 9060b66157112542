import { expect } from 'vitest';
import type { StandaloneMockGoogle } from '../../src/google/mock/index.js';
import { s256Challenge } from '../../src/google/pkce.js';
import { Browser, readForm, type BrowserResponse } from './browser.js';

export interface SignInSteps {
  start: BrowserResponse;
  consent: BrowserResponse;
  decision: BrowserResponse;
  /** The redirect back to Gatehouse, with code and state. */
  callbackUrl: string;
  callback: BrowserResponse;
}

/**
 * A whole sign-in as a person would do it: Gatehouse's start URL, Google's page (typed email,
 * Allow or Deny), back to the callback. Each hop is returned for assertions.
 */
export async function signInWithGoogle(
  browser: Browser,
  appUrl: string,
  email: string,
  opts: { returnTo?: string; decision?: 'allow' | 'deny'; beforeCallback?: (url: URL) => URL | void } = {},
): Promise<SignInSteps> {
  const start = await browser.get(
    `${appUrl}/auth/google/start${opts.returnTo ? `?return_to=${encodeURIComponent(opts.returnTo)}` : ''}`,
  );
  expect(start.status, start.text).toBe(302);
  const consent = await browser.get(start.location!);
  expect(consent.status, consent.text).toBe(200);
  const form = readForm(consent.text, start.location!);
  const decision = await browser.post(form.action, { ...form.fields, email, decision: opts.decision ?? 'allow' });
  expect(decision.status, decision.text).toBe(302);
  let url = new URL(decision.location!);
  url = opts.beforeCallback?.(url) ?? url;
  const callback = await browser.get(url.toString());
  return { start, consent, decision, callbackUrl: url.toString(), callback };
}

/**
 * Gets tokens from a standalone mock without Gatehouse: the authorize form posted directly,
 * then the code exchanged. For client tests.
 */
export async function mockTokens(
  mock: StandaloneMockGoogle,
  email = 'client.test@example.com',
  nonce = 'n-0123456789abcdef',
) {
  const verifier = 'v'.repeat(43);
  const redirectUri = 'http://127.0.0.1:1/cb';
  const res = await fetch(mock.endpoints.authUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: mock.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email profile',
      state: 's',
      nonce,
      code_challenge: s256Challenge(verifier),
      code_challenge_method: 'S256',
      email,
      decision: 'allow',
    }),
  });
  const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
  return { code, verifier, redirectUri, nonce };
}
