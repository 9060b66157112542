import * as oauth from 'oauth4webapi';
import { openSystemBrowser } from './browser.js';
import { runDeviceLogin, type DeviceLoginOptions } from './device-login.js';
import { discover, httpOptions, parseIssuer, type ServerContext } from './discovery.js';
import { loginFailed, loginTimeout } from './errors.js';
import { TypedEvents, type GatehouseEvents } from './events.js';
import { FileTokenStorage, defaultTokenPath } from './file-storage.js';
import { startLoopbackListener, type LoopbackCallback } from './loopback.js';
import type { TokenStorage } from './storage.js';
import { TokenManager } from './token-manager.js';
import { fetchUser, type GatehouseUser } from './user.js';

/** OIDC Core §3.1.2.1 prompt values login() may send. */
export type LoginPrompt = 'login' | 'consent' | 'select_account' | 'none';

export interface LoginOptions {
  /** login: sign in again at Google; consent: show the consent page; none: no page at all. */
  prompt?: LoginPrompt;
}

export interface LogoutOptions {
  /**
   * Also end the person's Gatehouse session in the browser (OpenID Connect RP-Initiated Logout:
   * the system browser opens end_session_endpoint with the ID token as id_token_hint), so the next
   * login() asks who is signing in. Default true.
   */
  endProviderSession?: boolean;
}

export interface GatehouseClientOptions {
  /** The Gatehouse base URL, e.g. https://auth.example.com (http only on loopback). */
  issuer: string;
  /** A public client (token_endpoint_auth_method none) registered with http://127.0.0.1<redirectPath>. */
  clientId: string;
  /** Default: openid profile email. */
  scopes?: string[];
  /** Default: FileTokenStorage at defaultTokenPath(issuer, clientId). */
  storage?: TokenStorage;
  /** Default: the system browser (xdg-open, open, rundll32). */
  openBrowser?: (url: string) => void | Promise<void>;
  /** How long login() waits for the browser to come back. Default: 5 minutes. */
  loginTimeoutMs?: number;
  /** Used for every request the client makes (discovery, tokens, your fetch calls). */
  fetch?: typeof fetch;
  /** The path of the registered loopback redirect. Default: /callback. */
  redirectPath?: string;
  /** Refresh this long before expiry. Default: 30 s. */
  refreshSkewMs?: number;
  /**
   * Origins besides the issuer's to which fetch() sends the access token, e.g.
   * ['https://api.example.com'] (a path is ignored; https only, http only on loopback).
   * Requests to any other origin go out unchanged, without the token. Default: none.
   */
  apiOrigins?: string[];
}

/**
 * Signs a person in from a desktop or CLI app (RFC 8252: system browser, loopback redirect,
 * PKCE), keeps the session across runs, and calls APIs with a fresh access token.
 */
export class GatehouseClient {
  readonly storage: TokenStorage;
  private readonly events: TypedEvents<GatehouseEvents>;
  private readonly tokens: TokenManager;
  private readonly issuer: URL;
  private readonly fetchImpl: typeof fetch;
  private readonly scopes: string[];
  private readonly openBrowser: (url: string) => void | Promise<void>;
  private readonly loginTimeoutMs: number;
  private readonly redirectPath: string;
  /** Where fetch() may send the access token: the issuer's origin and options.apiOrigins. */
  private readonly tokenOrigins: ReadonlySet<string>;
  private discovery: Promise<ServerContext> | null = null;

  constructor(private readonly options: GatehouseClientOptions) {
    this.issuer = parseIssuer(options.issuer);
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.scopes = options.scopes ?? ['openid', 'profile', 'email'];
    this.openBrowser = options.openBrowser ?? openSystemBrowser;
    this.loginTimeoutMs = options.loginTimeoutMs ?? 5 * 60_000;
    this.redirectPath = options.redirectPath ?? '/callback';
    this.tokenOrigins = new Set([this.issuer.origin, ...(options.apiOrigins ?? []).map(parseApiOrigin)]);
    this.storage = options.storage ?? new FileTokenStorage(defaultTokenPath(options.issuer, options.clientId));
    this.events = new TypedEvents<GatehouseEvents>();
    this.tokens = new TokenManager({
      storage: this.storage,
      server: () => this.server(),
      events: this.events,
      skewMs: options.refreshSkewMs ?? 30_000,
    });
  }

  on<K extends keyof GatehouseEvents>(event: K, listener: (...args: GatehouseEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  once<K extends keyof GatehouseEvents>(event: K, listener: (...args: GatehouseEvents[K]) => void): () => void {
    return this.events.once(event, listener);
  }

  off<K extends keyof GatehouseEvents>(event: K, listener: (...args: GatehouseEvents[K]) => void): void {
    this.events.off(event, listener);
  }

  /**
   * Authorization code flow with PKCE through the system browser. Resolves with the user once
   * the tokens are stored; emits `tokens`, then `login(user)`. The browser is answered as soon
   * as the code is exchanged.
   */
  async login(opts: LoginOptions = {}): Promise<GatehouseUser> {
    const { as, client, http } = await this.server();
    if (!as.authorization_endpoint) throw new Error('the server metadata has no authorization_endpoint');
    // RFC 7636 §4.1-4.2: a fresh high-entropy verifier per request, sent only as its S256 hash.
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = this.scopes.includes('openid') ? oauth.generateRandomNonce() : undefined;
    const listener = await startLoopbackListener(this.redirectPath, state);
    try {
      const url = new URL(as.authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: listener.redirectUri,
        scope: this.scopes.join(' '),
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...(nonce ? { nonce } : {}),
        ...(opts.prompt ? { prompt: opts.prompt } : {}),
      }).toString();
      const callback = await this.waitForCallback(listener.callback, url.href);
      try {
        const params = validateCallback(as, client, callback, state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          oauth.None(),
          params,
          listener.redirectUri,
          verifier,
          http,
        );
        const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
          expectedNonce: nonce ?? oauth.expectNoNonce,
          requireIdToken: nonce !== undefined,
        });
        await this.tokens.store(tokens);
      } catch (err) {
        await callback.respond('failed');
        throw err;
      }
      await callback.respond('ok');
      // The session is stored from here on: if the user cannot be fetched, login() rejects but
      // the person stays signed in, and getUser() can be retried.
      const user = await this.getUser();
      this.events.emit('login', user);
      return user;
    } finally {
      await listener.close();
    }
  }

  /**
   * Sign in on a device without a usable browser (TV, console, headless CLI) with the device
   * authorization grant (RFC 8628): onCode receives the code and the page where the person
   * enters it; resolves with the user once they approve there. Needs a client registered for
   * urn:ietf:params:oauth:grant-type:device_code. Emits `tokens`, then `login(user)`.
   */
  async loginWithDevice(opts: DeviceLoginOptions): Promise<GatehouseUser> {
    const tokens = await runDeviceLogin(await this.server(), this.scopes, opts);
    await this.tokens.store(tokens);
    const user = await this.getUser();
    this.events.emit('login', user);
    return user;
  }

  /** Whether a session is stored (its access token may need a refresh, which may fail). */
  async isLoggedIn(): Promise<boolean> {
    return (await this.storage.get()) !== null;
  }

  /** An access token valid for at least the refresh skew; refreshes when needed. */
  async getAccessToken(): Promise<string> {
    return (await this.tokens.freshSession()).accessToken;
  }

  /** Refreshes now, whatever the expiry (joins a refresh already running). */
  async refreshTokens(): Promise<void> {
    await this.tokens.refresh();
  }

  /** The user from userinfo, or from the ID token when the server has no userinfo (see fetchUser). */
  async getUser(): Promise<GatehouseUser> {
    const { as, client } = await this.server();
    const session = await this.tokens.freshSession();
    // The userinfo endpoint comes from the validated discovery document: it gets the token
    // whatever its origin.
    return fetchUser(
      as,
      client,
      (url) => this.fetchWithToken(url, { headers: { accept: 'application/json' } }),
      session.idTokenUser,
    );
  }

  /**
   * fetch with `Authorization: Bearer <access token>` for the issuer's origin and apiOrigins;
   * a request to any other origin goes out unchanged, without the token (RFC 6750 §5.3: bearer
   * tokens must not leak to parties that should not hold them). A token expiring within the
   * skew is refreshed first; a 401 refreshes once and retries once (RFC 6750 §3.1:
   * invalid_token, "The client MAY request a new access token and retry"). A body that is a
   * stream cannot be sent twice, so that request is not retried and the 401 is returned.
   */
  async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const target = new URL(input instanceof Request ? input.url : input);
    if (!this.tokenOrigins.has(target.origin)) return this.fetchImpl(input, init);
    return this.fetchWithToken(input, init);
  }

  private async fetchWithToken(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const session = await this.tokens.freshSession();
    const again = input instanceof Request ? input.clone() : input;
    const first = await this.fetchImpl(input, withBearer(input, init, session.accessToken));
    if (first.status !== 401 || init?.body instanceof ReadableStream) return first;
    await first.body?.cancel();
    const refreshed = await this.tokens.refresh(session);
    return this.fetchImpl(again, withBearer(again, init, refreshed.accessToken));
  }

  /**
   * Revokes the refresh token (RFC 7009; a public client identifies itself with client_id only),
   * which at Gatehouse also ends the access tokens issued with it, then clears storage and emits
   * `logout`. The local session ends even if the server cannot be reached: `revoked` says
   * whether the server confirmed. Then, unless told otherwise, the system browser ends the
   * Gatehouse session at end_session_endpoint (with the ID token as id_token_hint).
   */
  async logout(opts: LogoutOptions = {}): Promise<{ revoked: boolean }> {
    await this.tokens.settle();
    let revoked = false;
    let idToken: string | undefined;
    await this.tokens.end(async (session) => {
      idToken = session.idToken;
      if (!session.refreshToken) return;
      try {
        const { as, client, http } = await this.server();
        if (!as.revocation_endpoint) return;
        const response = await oauth.revocationRequest(as, client, oauth.None(), session.refreshToken, {
          ...http,
          additionalParameters: { token_type_hint: 'refresh_token' },
        });
        await oauth.processRevocationResponse(response);
        revoked = true;
      } catch {
        // Offline or refused: the local logout still happens; `revoked: false` reports it.
      }
    });
    if (opts.endProviderSession !== false && idToken) await this.endProviderSession(idToken);
    return { revoked };
  }

  /** OpenID Connect RP-Initiated Logout §2: a valid id_token_hint ends the session without asking. */
  private async endProviderSession(idToken: string): Promise<void> {
    try {
      const { as, client } = await this.server();
      const endpoint = (as as { end_session_endpoint?: string }).end_session_endpoint;
      if (!endpoint) return;
      const url = new URL(endpoint);
      url.search = new URLSearchParams({ id_token_hint: idToken, client_id: client.client_id }).toString();
      await this.openBrowser(url.href);
    } catch {
      // The local logout is done; a browser that cannot be opened leaves only the provider session.
    }
  }

  /** Discovery once per client; a failure is not cached, so the next call tries again. */
  private server(): Promise<ServerContext> {
    this.discovery ??= discover(this.issuer, this.options.clientId, httpOptions(this.issuer, this.fetchImpl)).catch(
      (err) => {
        this.discovery = null;
        throw err;
      },
    );
    return this.discovery;
  }

  /**
   * Opens the browser and waits for the loopback callback, at most loginTimeoutMs. The opener
   * only has to start: a failure to open fails the login, but login does not wait for it.
   */
  private async waitForCallback(
    callback: Promise<LoopbackCallback>,
    authorizationUrl: string,
  ): Promise<LoopbackCallback> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(loginTimeout(this.loginTimeoutMs)), this.loginTimeoutMs);
    });
    const openFailed = Promise.resolve()
      .then(() => this.openBrowser(authorizationUrl))
      .then(
        () => new Promise<never>(() => undefined),
        (err: unknown) => {
          throw loginFailed('the browser could not be opened', err);
        },
      );
    try {
      return await Promise.race([callback, timedOut, openFailed]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * RFC 9207 §2.4: the client "MUST compare the issuer identifier ... (iss) against the issuer it
 * sent the request to" and RFC 6749 §10.12 requires the state to match; oauth4webapi does both.
 * A mismatch refuses the callback, and the code is never exchanged.
 */
function validateCallback(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  callback: LoopbackCallback,
  state: string,
): URLSearchParams {
  try {
    return oauth.validateAuthResponse(as, client, callback.url, state);
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) {
      throw loginFailed(
        `the server answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
        err,
      );
    }
    throw loginFailed(`the authorization response was refused (${(err as Error).message})`, err);
  }
}

/** An apiOrigins entry as an origin; the same transport rule as the issuer (no token over plain http off this machine). */
function parseApiOrigin(value: string): string {
  let url: URL;
  try {
    url = parseIssuer(value);
  } catch {
    throw new TypeError(`apiOrigins entries must be https URLs (http only on loopback): ${value}`);
  }
  return url.origin;
}

function withBearer(input: string | URL | Request, init: RequestInit | undefined, accessToken: string): RequestInit {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('authorization', `Bearer ${accessToken}`);
  return { ...init, headers };
}
