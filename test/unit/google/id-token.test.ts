import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { GoogleError } from '../../../src/google/errors.js';
import {
  createIdTokenVerifier,
  ID_TOKEN_CLOCK_SKEW_SECONDS,
  ID_TOKEN_MAX_AGE_SECONDS,
} from '../../../src/google/id-token.js';
import type { GoogleSettings } from '../../../src/google/settings.js';

const CLIENT_ID = 'our-app.apps.googleusercontent.com';
const ISSUER = 'https://accounts.google.com';
const now = () => Math.floor(Date.now() / 1000);

/** OIDC Core §3.1.3.7 (10): iat may be used to reject tokens issued too far from now. */
describe('Google ID token verification: iat bounds', () => {
  let server: Server;
  let privateKey: CryptoKey;
  let verify: ReturnType<typeof createIdTokenVerifier>;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }],
    });
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const settings = {
      clientId: CLIENT_ID,
      issuer: ISSUER,
      jwksUrl: `http://127.0.0.1:${port}/jwks`,
      timeoutMs: 5000,
    } as GoogleSettings;
    verify = createIdTokenVerifier(settings);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sign = (claims: JWTPayload) =>
    new SignJWT({
      iss: ISSUER,
      aud: CLIENT_ID,
      sub: '1234567890',
      email: 'a@example.com',
      email_verified: true,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
      .sign(privateKey);

  it.each([
    ['issued now', 0, 3600],
    ['issued within the clock skew in the future', ID_TOKEN_CLOCK_SKEW_SECONDS - 2, 3600],
    ['issued almost the maximum age ago', -(ID_TOKEN_MAX_AGE_SECONDS - 60), 60],
  ])('accepts a token %s', async (_name, iatOffset, expOffset) => {
    const claims = await verify(await sign({ iat: now() + iatOffset, exp: now() + expOffset }), undefined);
    expect(claims.sub).toBe('1234567890');
  });

  it.each([
    ['from the future beyond the clock skew', 120, 3600],
    ['older than the maximum age, however late its exp', -(ID_TOKEN_MAX_AGE_SECONDS + 120), 600],
    ['without iat', undefined, 3600],
  ])('refuses a token issued %s', async (_name, iatOffset, expOffset) => {
    const token = await sign({
      ...(iatOffset === undefined ? {} : { iat: now() + iatOffset }),
      exp: now() + expOffset,
    });
    const err = await verify(token, undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoogleError);
    expect((err as GoogleError).kind).toBe('invalid_response');
    expect((err as GoogleError).message).toMatch(/iat/);
  });
});
