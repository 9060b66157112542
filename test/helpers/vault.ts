import type { App } from '../../src/app.js';
import type { StandaloneMockGoogle } from '../../src/google/mock/index.js';
import type { GoogleCredential } from '../../src/repositories/google-credentials.js';
import type { User } from '../../src/repositories/users.js';
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
  const { code, verifier, redirectUri } = await mockTokens(mock, email);
  const tokens = await app.google.exchangeCode(code, verifier, redirectUri);
  if (!tokens.refresh_token) throw new Error('the mock issued no refresh token; use a fresh email per seed');
  const user = await app.repos.users.upsertFromGoogle({
    sub: `sub-${email}`,
    email,
    emailVerified: true,
    name: 'Test Person',
  });
  const credential = await app.repos.googleCredentials.save(
    { userId: user.id },
    {
      accessToken: tokens.access_token,
      expiresIn: tokens.expires_in,
      refreshToken: tokens.refresh_token,
      scope: tokens.scope,
    },
  );
  return { user, credential, refreshToken: tokens.refresh_token, accessToken: tokens.access_token };
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
