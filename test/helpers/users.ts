import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { App } from '../../src/app.js';
import type { StandaloneMockGoogle } from '../../src/google/mock/index.js';
import { mockTokens } from './google.js';

/** A Google access token (and ID token) the mock issued to our Google client for this person. */
export async function googleTokensFor(app: App, mock: StandaloneMockGoogle, email: string) {
  const { code, verifier, redirectUri } = await mockTokens(mock, email);
  return app.google.exchangeCode(code, verifier, redirectUri);
}

/**
 * A JWKS endpoint serving the mock Google's keys plus one of the test's own, so tests can forge
 * ID tokens with any claims (wrong aud, wrong iss, expired) that are still correctly signed.
 */
export interface ForgeryKit {
  jwksUrl: string;
  sign(claims: JWTPayload, opts?: { alg?: string; kid?: string; key?: CryptoKey }): Promise<string>;
  close(): Promise<void>;
}

export async function startForgeryKit(mock: StandaloneMockGoogle): Promise<ForgeryKit> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = 'test-forger';
  const own: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const mockKeys = ((await (await fetch(mock.endpoints.jwksUrl)).json()) as { keys: JWK[] }).keys;
  const body = JSON.stringify({ keys: [...mockKeys, own] });
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/jwks`,
    sign: (claims, opts = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? kid, typ: 'JWT' })
        .sign(opts.key ?? privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `alg: none`: a header and a payload, no signature. */
export function unsignedJwt(claims: JWTPayload): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
