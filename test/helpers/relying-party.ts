import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import type { App } from '../../src/app.js';
import type { StandaloneMockGoogle } from '../../src/google/mock/index.js';
import { basicAuth, registerClient, type RegisteredClient } from './admin.js';
import { Browser, readForm, type BrowserResponse } from './browser.js';

export interface RpOptions {
  /** Gatehouse's base URL (the issuer). */
  issuer: string;
  /** The mock Google's authorization endpoint. */
  googleAuthUrl: string;
  client: RegisteredClient;
  redirectUri: string;
}

export interface Outcome {
  /** The client's redirect: code or error, state, iss. */
  callback: URL;
  /** Every hop, in order, for assertions about what the person saw. */
  hops: { method: string; url: string; status: number }[];
  /** The authorization requests Google received on the way. */
  googleRequests: URL[];
  /** Consent pages shown on the way. */
  consentPages: number;
}

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  scope: string;
  token_type: string;
  expires_in: number;
}

/**
 * A relying party the way the OpenID conformance suite drives one: it sends a browser through
 * /oauth/authorize, signs in at the mock Google and approves consent when shown, until the
 * browser lands on the client's redirect URI; then redeems the code and verifies the ID token
 * against the published JWKS.
 */
export class RelyingParty {
  readonly jwks;
  constructor(readonly o: RpOptions) {
    this.jwks = createRemoteJWKSet(new URL(`${o.issuer}/.well-known/jwks.json`));
  }

  authorizeUrl(params: Record<string, string | undefined>): string {
    const p = new URLSearchParams();
    const all = {
      response_type: 'code',
      client_id: this.o.client.client_id,
      redirect_uri: this.o.redirectUri,
      ...params,
    };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) p.set(k, v);
    return `${this.o.issuer}/oauth/authorize?${p}`;
  }

  /** Runs an authorization request (GET, or POST with a form body) to the client's redirect. */
  async authorize(
    browser: Browser,
    params: Record<string, string | undefined>,
    opts: { method?: 'GET' | 'POST'; email?: string; consent?: 'approve' | 'deny'; url?: string } = {},
  ): Promise<Outcome> {
    const outcome: Omit<Outcome, 'callback'> = { hops: [], googleRequests: [], consentPages: 0 };
    let res: BrowserResponse;
    let url: string;
    if (opts.method === 'POST') {
      url = `${this.o.issuer}/oauth/authorize`;
      const body: Record<string, string> = {};
      for (const [k, v] of Object.entries({
        response_type: 'code',
        client_id: this.o.client.client_id,
        redirect_uri: this.o.redirectUri,
        ...params,
      })) {
        if (v !== undefined) body[k] = v;
      }
      res = await browser.post(url, body);
    } else {
      // A URL built by another client library, or one built from params here.
      url = opts.url ?? this.authorizeUrl(params);
      res = await browser.get(url);
    }
    for (let step = 0; step < 20; step++) {
      outcome.hops.push({ method: step === 0 ? (opts.method ?? 'GET') : 'GET', url, status: res.status });
      if (res.status === 200 && res.text.includes('action="/oauth/authorize/decision"')) {
        outcome.consentPages++;
        const form = readForm(res.text, url);
        url = form.action;
        res = await browser.post(form.action, { ...form.fields, decision: opts.consent ?? 'approve' });
        continue;
      }
      expect([302, 303], `${url} answered ${res.status}: ${res.text.slice(0, 300)}`).toContain(res.status);
      const next = res.location!;
      if (next.startsWith(this.o.redirectUri.split('?')[0]!)) return { ...outcome, callback: new URL(next) };
      if (next.startsWith(this.o.googleAuthUrl)) {
        outcome.googleRequests.push(new URL(next));
        const page = await browser.get(next);
        expect(page.status, page.text).toBe(200);
        const form = readForm(page.text, next);
        const email = opts.email ?? new URL(next).searchParams.get('login_hint') ?? 'someone@example.com';
        url = form.action;
        res = await browser.post(form.action, { ...form.fields, email, decision: 'allow' });
        continue;
      }
      const u = new URL(next);
      // The sign-in page's button: what a person clicks there.
      url =
        u.pathname === '/login'
          ? `${this.o.issuer}/auth/google/start?${new URLSearchParams({ return_to: u.searchParams.get('return_to')! })}`
          : next;
      res = await browser.get(url);
    }
    throw new Error('the authorization request did not come back to the client');
  }

  /** RFC 6749 §4.1.3 with client_secret_basic (or client_secret_post). */
  async redeem(code: string, extra: Record<string, string> = {}, auth: 'basic' | 'post' = 'basic'): Promise<Response> {
    const c = this.o.client;
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.o.redirectUri,
      ...extra,
    });
    if (auth === 'post') {
      body.set('client_id', c.client_id);
      body.set('client_secret', c.client_secret!);
    }
    return fetch(`${this.o.issuer}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(auth === 'basic' ? { authorization: basicAuth(c.client_id, c.client_secret!) } : {}),
      },
      body,
    });
  }

  async tokens(code: string, extra: Record<string, string> = {}, auth: 'basic' | 'post' = 'basic'): Promise<TokenSet> {
    const res = await this.redeem(code, extra, auth);
    const body = (await res.json()) as TokenSet;
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body;
  }

  async refresh(refreshToken: string, scope?: string): Promise<Response> {
    const c = this.o.client;
    return fetch(`${this.o.issuer}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(c.client_id, c.client_secret!),
      },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        ...(scope ? { scope } : {}),
      }),
    });
  }

  /** OIDC Core §3.1.3.7: signature against the JWKS, iss, aud, exp; returns the claims and header. */
  async verifyIdToken(
    idToken: string,
  ): Promise<{ claims: JWTPayload & Record<string, unknown>; alg: string; kid: string | undefined }> {
    const { payload, protectedHeader } = await jwtVerify(idToken, this.jwks, {
      issuer: this.o.issuer,
      audience: this.o.client.client_id,
    });
    return { claims: payload, alg: protectedHeader.alg, kid: protectedHeader.kid };
  }
}

/** What a relying party needs of the app under test: where it listens and the mock Google it signs in at. */
interface RpHost {
  app: App;
  url: string;
  google: StandaloneMockGoogle;
}

/** A RelyingParty for a client of a listening test app (`useTestApp` with `listen` and `google`). */
export function relyingParty(t: RpHost, client: RegisteredClient, redirectUri: string): RelyingParty {
  return new RelyingParty({ issuer: t.url, googleAuthUrl: t.google.env.GOOGLE_AUTH_URL!, client, redirectUri });
}

/** Registers a code-flow client redirecting to `redirectUri` (refresh allowed unless overridden) and its RelyingParty. */
export async function registerRelyingParty(
  t: RpHost,
  redirectUri: string,
  registration: Record<string, unknown> = {},
): Promise<{ client: RegisteredClient; rp: RelyingParty }> {
  const client = await registerClient(t.app, {
    redirect_urls: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    ...registration,
  });
  return { client, rp: relyingParty(t, client, redirectUri) };
}
