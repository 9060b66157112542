import type { App } from '../../src/app.js';
import type { StandaloneMockGoogle } from '../../src/google/mock/index.js';
import type { GoogleCredential } from '../../src/repositories/google-credentials.js';
import type { User } from '../../src/repositories/users.js';
import { expect } from 'vitest';
import { Browser, readForm } from './browser.js';
import { mockTokens } from './google.js';

export interface SeededCredential {
  user: User;
  credential: GoogleCredential;
  /** The Google refresh token the mock issued (for leak scans; never sent by Gatehouse). */
  refreshToken: string;
  accessToken: string;
}

/**
 * A person with a Google credential, made the way sign-in makes one: a real code from the mock
 * Google, exchanged over HTTP by the app's Google client, stored by the credentials repository.
 */
export async function seedCredential(app: App, mock: StandaloneMockGoogle, email: string): Promise<SeededCredential> {
  const user = await app.repos.users.upsertFromGoogle({
    sub: `sub-${email}`,
    email,
    emailVerified: true,
    name: 'Test Person',
  });
  const { credential, tokens } = await saveGoogleGrant(app, mock, { userId: user.id, googleEmail: email });
  if (!tokens.refresh_token) throw new Error('the mock issued no refresh token; use a fresh email per seed');
  return { user, credential, refreshToken: tokens.refresh_token, accessToken: tokens.access_token };
}

/**
 * A real grant from the mock Google (signed in as `googleEmail`), exchanged over HTTP by the
 * app's Google client and saved for the user by the credentials repository.
 */
export async function saveGoogleGrant(
  app: App,
  mock: StandaloneMockGoogle,
  o: { userId: string; googleEmail: string; email?: string },
) {
  const { code, verifier, redirectUri } = await mockTokens(mock, o.googleEmail);
  const tokens = await app.google.exchangeCode(code, verifier, redirectUri);
  const credential = await app.repos.googleCredentials.save(
    { userId: o.userId },
    {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      expiresIn: tokens.expires_in,
      scope: tokens.scope,
      ...(o.email === undefined ? {} : { email: o.email }),
    },
  );
  return { credential, tokens };
}

export type BrokerVia = 'token' | 'tokens' | 'refresh';

/**
 * One broker call through any of its three doors. A string names a person (`subject`);
 * `{ connection_id }` names a connection (GET goes to /connections/:id/token).
 */
export function brokerCall(
  app: App,
  apiKey: string,
  subject: string | { connection_id: string },
  via: BrokerVia = 'token',
) {
  const authorization = `Bearer ${apiKey}`;
  if (via === 'tokens') {
    const url =
      typeof subject === 'string'
        ? `/tokens/${encodeURIComponent(subject)}`
        : `/connections/${encodeURIComponent(subject.connection_id)}/token`;
    return app.inject({ method: 'GET', url, headers: { authorization } });
  }
  const params = typeof subject === 'string' ? { subject } : subject;
  return app.inject({
    method: 'POST',
    url: via === 'token' ? '/oauth/token' : '/oauth/refresh',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(params).toString(),
  });
}

/** A person opens a connect link and confirms on its page: the link is spent, Google's URL in hand. */
export async function spendConnectLink(url: string) {
  const browser = new Browser();
  const page = await browser.get(url);
  expect(page.status, page.text).toBe(200);
  const confirm = readForm(page.text, url);
  const open = await browser.post(confirm.action, confirm.fields);
  expect(open.status, open.text).toBe(303);
  return { browser, page, open, googleUrl: open.location! };
}

/** A person opens a connect link, confirms, answers Google's consent page and comes back. */
export async function openConnectLink(url: string, email: string, decision: 'allow' | 'deny' = 'allow') {
  const { browser, page, open, googleUrl } = await spendConnectLink(url);
  const consent = await browser.get(googleUrl);
  expect(consent.status).toBe(200);
  const form = readForm(consent.text, googleUrl);
  const answer = await browser.post(form.action, { ...form.fields, email, decision });
  expect(answer.status).toBe(302);
  const callback = await browser.get(answer.location!);
  return { browser, page, open, consent, answer, callback };
}
