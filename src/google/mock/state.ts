import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomToken } from '../../crypto/random.js';
import { s256Challenge } from '../pkce.js';
import type { MockFailure, MockGoogleControl } from './control.js';
import type { MockEndpoint } from './endpoints.js';

export interface MockGoogleOptions {
  clientId: string;
  clientSecret: string;
  /** The mock's base URL, which is also its issuer. */
  issuer: string;
  /** When set, redirect_uri must start with one of these (Google requires registered URIs). */
  redirectUriPrefixes?: string[];
}

export interface MockUser {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  given_name: string;
  family_name: string;
  picture: string;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string | undefined;
  nonce: string | undefined;
  scope: string;
  sub: string;
  issueRefreshToken: boolean;
  expiresAt: number;
  used: boolean;
}

interface Grant {
  id: string;
  clientId: string;
  sub: string;
  scope: string;
  revoked: boolean;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
  aud?: string;
  azp?: string;
}

const CODE_TTL_MS = 10 * 60_000;
const ID_TOKEN_TTL_SECONDS = 3600;

/** Google-looking opaque values; the prefixes make them easy to find in a leak scan. */
const newAccessToken = () => `ya29.mock-${randomToken(32)}`;
const newRefreshToken = () => `1//mock-${randomToken(32)}`;
const newCode = () => `4/mock-${randomToken(24)}`;

/**
 * Everything the mock Google remembers: people who signed in, codes, grants, tokens, its RSA
 * signing key, and the fault-injection switches. Kept in memory; a restart forgets it all.
 */
export class MockGoogleState {
  issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  private readonly redirectUriPrefixes: string[] | undefined;

  private readonly users = new Map<string, MockUser>();
  /** `${clientId} ${sub}` of people who consented once: later grants get no refresh token. */
  private readonly consented = new Set<string>();
  private readonly codes = new Map<string, PendingCode>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, Grant>();

  private readonly callCounts = new Map<MockEndpoint, number>();
  private readonly failures = new Map<MockEndpoint, { left: number; failure: MockFailure; retryAfter: number }>();
  private readonly latency = new Map<MockEndpoint | '*', number>();
  private accessTokenLifetime = 3599;
  private wrongNonceNext = false;
  private lastAuthorize: Record<string, string> | undefined;
  private readonly sleepers = new Set<() => void>();

  private constructor(
    opts: MockGoogleOptions,
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    readonly publicJwk: JWK,
  ) {
    this.issuer = opts.issuer.replace(/\/+$/, '');
    this.clientId = opts.clientId;
    this.clientSecret = opts.clientSecret;
    this.redirectUriPrefixes = opts.redirectUriPrefixes;
  }

  static async create(opts: MockGoogleOptions): Promise<MockGoogleState> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `mock-${randomToken(6)}`;
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    return new MockGoogleState(opts, privateKey, publicKey, jwk);
  }

  // --- authorization -------------------------------------------------------------------------

  redirectUriAllowed(uri: string): boolean {
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    if (u.hash) return false;
    return !this.redirectUriPrefixes || this.redirectUriPrefixes.some((p) => uri.startsWith(p));
  }

  recordAuthorizeRequest(query: Record<string, string>): void {
    this.lastAuthorize = { ...query };
  }

  /** The person behind an email; the same email always gets the same sub, as at Google. */
  userFor(email: string): MockUser {
    const key = email.toLowerCase();
    let user = this.users.get(key);
    if (!user) {
      const local = key.split('@')[0] ?? key;
      const words = local.split(/[._+-]+/).filter(Boolean);
      const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
      const given = cap(words[0] ?? 'Test');
      const family = cap(words.slice(1).join(' ') || 'User');
      user = {
        sub: subFor(key),
        email: key,
        email_verified: true,
        name: `${given} ${family}`,
        given_name: given,
        family_name: family,
        // Served by the mock itself (routes.ts), so dev pages never point at Google's image host.
        picture: `${this.issuer}/avatar/${subFor(key).slice(0, 8)}.svg`,
      };
      this.users.set(key, user);
    }
    return user;
  }

  issueCode(p: {
    email: string;
    clientId: string;
    redirectUri: string;
    codeChallenge?: string;
    nonce?: string;
    scope: string;
    prompt?: string;
  }): string {
    const user = this.userFor(p.email);
    const key = `${p.clientId} ${user.sub}`;
    // Google returns a refresh token on the first consent of a grant, and again only when
    // consent is shown once more (prompt=consent).
    const issueRefreshToken = !this.consented.has(key) || (p.prompt ?? '').split(' ').includes('consent');
    this.consented.add(key);
    const code = newCode();
    this.codes.set(code, {
      clientId: p.clientId,
      redirectUri: p.redirectUri,
      codeChallenge: p.codeChallenge,
      nonce: p.nonce,
      scope: p.scope,
      sub: user.sub,
      issueRefreshToken,
      expiresAt: Date.now() + CODE_TTL_MS,
      used: false,
    });
    return code;
  }

  checkClient(clientId: string | undefined, clientSecret: string | undefined): boolean {
    return clientId === this.clientId && clientSecret === this.clientSecret;
  }

  // --- token grants --------------------------------------------------------------------------

  /** RFC 6749 §4.1.3 with RFC 7636 §4.6; undefined means invalid_grant. */
  async redeemCode(p: {
    code: string;
    clientId: string;
    redirectUri: string | undefined;
    verifier: string | undefined;
  }) {
    const pending = this.codes.get(p.code);
    if (!pending || pending.used || pending.expiresAt < Date.now()) return undefined;
    // A code is single-use even when this attempt fails (RFC 6749 §4.1.2 "MUST NOT use the
    // authorization code more than once").
    pending.used = true;
    if (pending.clientId !== p.clientId || pending.redirectUri !== p.redirectUri) return undefined;
    if (pending.codeChallenge !== undefined && (!p.verifier || s256Challenge(p.verifier) !== pending.codeChallenge))
      return undefined;
    const grant: Grant = {
      id: randomToken(12),
      clientId: p.clientId,
      sub: pending.sub,
      scope: pending.scope,
      revoked: false,
    };
    const refreshToken = pending.issueRefreshToken ? newRefreshToken() : undefined;
    if (refreshToken) this.refreshTokens.set(refreshToken, grant);
    return this.tokenResponse(grant, { refreshToken, nonce: pending.nonce });
  }

  async refresh(p: { refreshToken: string; clientId: string }) {
    const grant = this.refreshTokens.get(p.refreshToken);
    if (!grant || grant.revoked || grant.clientId !== p.clientId) return undefined;
    // Google does not rotate refresh tokens: the response has no refresh_token.
    return this.tokenResponse(grant, {});
  }

  private async tokenResponse(grant: Grant, opts: { refreshToken?: string; nonce?: string }) {
    const accessToken = newAccessToken();
    const expiresIn = this.accessTokenLifetime;
    this.accessTokens.set(accessToken, { grant, expiresAt: Date.now() + expiresIn * 1000 });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: expiresIn,
      scope: grant.scope,
      token_type: 'Bearer',
    };
    if (opts.refreshToken) body.refresh_token = opts.refreshToken;
    if (grant.scope.split(' ').includes('openid')) body.id_token = await this.signIdToken(grant, opts.nonce);
    return body;
  }

  private async signIdToken(grant: Grant, nonce: string | undefined): Promise<string> {
    const user = [...this.users.values()].find((u) => u.sub === grant.sub)!;
    const scopes = grant.scope.split(' ');
    const claims: Record<string, unknown> = { azp: grant.clientId };
    if (scopes.includes('email')) Object.assign(claims, { email: user.email, email_verified: user.email_verified });
    if (scopes.includes('profile')) {
      Object.assign(claims, {
        name: user.name,
        given_name: user.given_name,
        family_name: user.family_name,
        picture: user.picture,
      });
    }
    if (nonce !== undefined) {
      claims.nonce = this.wrongNonceNext ? `wrong-${randomToken(8)}` : nonce;
      this.wrongNonceNext = false;
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.publicJwk.kid!, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(grant.clientId)
      .setSubject(grant.sub)
      .setIssuedAt()
      .setExpirationTime(`${ID_TOKEN_TTL_SECONDS}s`)
      .sign(this.privateKey);
  }

  // --- resource endpoints --------------------------------------------------------------------

  /** The live grant and user behind an access token, or undefined (expired, revoked, unknown). */
  lookupAccessToken(token: string) {
    const at = this.accessTokens.get(token);
    if (!at || at.grant.revoked || at.expiresAt <= Date.now()) return undefined;
    const user = [...this.users.values()].find((u) => u.sub === at.grant.sub)!;
    return { ...at, user };
  }

  async verifyOwnIdToken(idToken: string): Promise<Record<string, unknown> | undefined> {
    try {
      const { payload, protectedHeader } = await jwtVerify(idToken, this.publicKey, { issuer: this.issuer });
      return { ...payload, alg: protectedHeader.alg, kid: protectedHeader.kid, typ: protectedHeader.typ };
    } catch {
      return undefined;
    }
  }

  /** Google revokes the whole grant whichever of its tokens is presented. */
  revokeToken(token: string): boolean {
    const grant = this.refreshTokens.get(token) ?? this.accessTokens.get(token)?.grant;
    if (!grant || grant.revoked) return false;
    grant.revoked = true;
    return true;
  }

  // --- fault injection -----------------------------------------------------------------------

  /** Counts the call, waits out any latency, and says which failure (if any) to answer with. */
  async beforeCall(endpoint: MockEndpoint): Promise<{ failure: MockFailure; retryAfter: number } | undefined> {
    this.callCounts.set(endpoint, (this.callCounts.get(endpoint) ?? 0) + 1);
    const ms = this.latency.get(endpoint) ?? this.latency.get('*') ?? 0;
    if (ms > 0) await this.sleep(ms);
    const f = this.failures.get(endpoint);
    if (!f || f.left <= 0) return undefined;
    f.left -= 1;
    return { failure: f.failure, retryAfter: f.retryAfter };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** Ends every pending latency wait so the server can close. */
  wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  readonly control: MockGoogleControl = {
    calls: (endpoint) => this.callCounts.get(endpoint) ?? 0,
    failNextToken: (n, failure, opts) => this.control.failNext('token', n, failure, opts),
    failNext: (endpoint, n, failure, opts) => {
      this.failures.set(endpoint, { left: n, failure, retryAfter: opts?.retryAfter ?? 1 });
    },
    setLatency: (ms, endpoint) => {
      this.latency.set(endpoint ?? '*', ms);
    },
    setAccessTokenLifetime: (seconds) => {
      this.accessTokenLifetime = seconds;
    },
    revokeRefreshToken: (refreshToken) => {
      const grant = this.refreshTokens.get(refreshToken);
      if (grant) grant.revoked = true;
    },
    setTokeninfoAudience: (accessToken, claims) => {
      const at = this.accessTokens.get(accessToken);
      if (!at) throw new Error('setTokeninfoAudience: the mock never issued that access token');
      if (claims.aud !== undefined) at.aud = claims.aud;
      if (claims.azp !== undefined) at.azp = claims.azp;
    },
    wrongNonceOnNextIdToken: () => {
      this.wrongNonceNext = true;
    },
    issuedAccessTokens: () => [...this.accessTokens.keys()],
    issuedRefreshTokens: () => [...this.refreshTokens.keys()],
    lastAuthorizeRequest: () => (this.lastAuthorize ? { ...this.lastAuthorize } : undefined),
    reset: () => {
      this.callCounts.clear();
      this.failures.clear();
      this.latency.clear();
      this.wrongNonceNext = false;
      this.accessTokenLifetime = 3599;
    },
  };
}

/** A 21-digit numeric sub, stable per email, shaped like Google's. */
function subFor(email: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(email).digest('hex').slice(0, 24)}`)
    .toString()
    .padStart(21, '1');
  return `1${digits.slice(0, 20)}`;
}
