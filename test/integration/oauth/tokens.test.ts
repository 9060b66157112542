import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportSPKI,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JWTPayload,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError as OAuthError } from '../../../src/oauth/errors.js';
import { openSigningKeyStore, type SigningKeyStore } from '../../../src/oauth/signing-keys.js';
import { createTokenService, type AccessTokenClaims } from '../../../src/oauth/tokens.js';
import { describeBackends } from '../../helpers/backends.js';
import { type TestApp } from '../../helpers/app.js';
import { useTestApp } from '../../helpers/use-test-app.js';

const PUBLIC_URL = 'https://auth.example.test';
const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';
const ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'HS256'] as const;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refusal(promise: Promise<unknown>): Promise<OAuthError> {
  const outcome = await promise.then(
    () => 'accepted',
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(OAuthError);
  expect(outcome).toMatchObject({ error: 'invalid_token', status: 401 });
  return outcome as OAuthError;
}

describeBackends('access and ID tokens', (backend) => {
  const settings = (alg: (typeof ALGORITHMS)[number]) => ({
    env: { PUBLIC_URL, ...(alg === 'HS256' ? { JWT_SECRET } : {}) },
    file: { security: { jwt_algorithm: alg } },
  });
  const [first, ...others] = ALGORITHMS;
  const t0 = useTestApp(backend, settings(first));
  const apps = new Map<string, TestApp>();

  beforeAll(async () => {
    // One database holds a key per algorithm (one active key per algorithm is the rule).
    apps.set(first, t0);
    for (const alg of others) apps.set(alg, await t0.another(settings(alg)));
  }, 60_000);

  describe.each(ALGORITHMS)('%s', (alg) => {
    it('issues an RFC 9068 access token that verifies', async () => {
      const t = apps.get(alg)!;
      const issued = await t.app.tokens.issueAccessToken({
        sub: 'user-1',
        client_id: 'client-1',
        scope: 'openid profile',
        username: 'alice',
        family_id: 'family-1',
      });
      const header = decodeProtectedHeader(issued.token);
      expect(header).toEqual({ alg, typ: 'at+jwt', kid: expect.any(String) });
      expect(issued.exp - issued.iat).toBe(10 * 60);
      const expected: AccessTokenClaims = {
        iss: PUBLIC_URL,
        aud: PUBLIC_URL,
        sub: 'user-1',
        client_id: 'client-1',
        scope: 'openid profile',
        iat: issued.iat,
        exp: issued.exp,
        jti: issued.jti,
        username: 'alice',
        fid: 'family-1',
      };
      expect(decodeJwt(issued.token)).toEqual(expected);
      expect(await t.app.tokens.verifyAccessToken(issued.token)).toEqual(expected);
    });

    it('leaves username and fid out of client tokens and honours a shorter lifetime', async () => {
      const t = apps.get(alg)!;
      const issued = await t.app.tokens.issueAccessToken({
        sub: 'client-1',
        client_id: 'client-1',
        scope: 'reports',
        lifetimeSeconds: 60,
      });
      const claims = await t.app.tokens.verifyAccessToken(issued.token);
      expect(claims).not.toHaveProperty('username');
      expect(claims).not.toHaveProperty('fid');
      expect(claims.exp - claims.iat).toBe(60);
      await expect(
        t.app.tokens.issueAccessToken({ sub: 'c', client_id: 'c', scope: '', lifetimeSeconds: 10 * 60 + 1 }),
      ).rejects.toThrow(RangeError);
    });

    // OIDC Discovery §3: RS256 for ID tokens by default, whatever signs access tokens; never HS256.
    it('issues ID tokens with security.id_token_algorithm (RS256), verifiable against the JWKS', async () => {
      const t = apps.get(alg)!;
      const idToken = await t.app.tokens.issueIdToken({
        sub: 'user-1',
        aud: 'client-1',
        nonce: 'n-0S6',
        auth_time: 1_700_000_000,
        claims: { email: 'alice@example.test', iss: 'https://evil.example', sub: 'someone-else' },
      });
      expect(decodeProtectedHeader(idToken)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
      const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
      const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), {
        issuer: PUBLIC_URL,
        audience: 'client-1',
        algorithms: ['RS256'],
      });
      expect(payload).toMatchObject({
        sub: 'user-1',
        nonce: 'n-0S6',
        auth_time: 1_700_000_000,
        email: 'alice@example.test',
      });
    });

    it('publishes a JWKS with a key per algorithm in use that verifies access tokens and holds no private member', async () => {
      const t = apps.get(alg)!;
      const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      expect(res.statusCode).toBe(200);
      const jwks = res.json<{ keys: Record<string, string>[] }>();
      const allowed = new Set(['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use']);
      for (const key of jwks.keys) {
        for (const member of Object.keys(key)) expect(allowed).toContain(member);
        expect(key).toMatchObject({ use: 'sig', kid: expect.any(String) });
      }
      // The ID token algorithms always; HS256 (JWT_SECRET) is never published.
      expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
      if (alg === 'HS256') return;
      const { token } = await t.app.tokens.issueAccessToken({ sub: 'u', client_id: 'c', scope: 'openid' });
      await expect(
        jwtVerify(token, createLocalJWKSet(jwks), { algorithms: [alg], typ: 'at+jwt' }),
      ).resolves.toBeDefined();
    });
  });

  describe('refusals', () => {
    let t: TestApp;
    let ours: SigningKeyStore;
    let valid: { token: string };
    const claims = (over: JWTPayload = {}): JWTPayload => {
      const now = Math.floor(Date.now() / 1000);
      return {
        iss: PUBLIC_URL,
        aud: PUBLIC_URL,
        sub: 'user-1',
        client_id: 'client-1',
        scope: 'openid',
        iat: now,
        exp: now + 600,
        jti: 'j-1',
        ...over,
      };
    };
    /** Signs with Gatehouse's own key, as a token with the wrong shape would be. */
    const signWithOurKey = (payload: JWTPayload, typ = 'at+jwt') => {
      const { kid, alg, key } = ours.signingKey();
      return new SignJWT(payload).setProtectedHeader({ alg, kid, typ }).sign(key);
    };

    beforeAll(async () => {
      t = apps.get('ES256')!;
      ours = await openSigningKeyStore({
        repos: t.app.repos,
        keyring: t.app.keyring,
        config: t.config,
        refreshIntervalMs: 0,
      });
      valid = await t.app.tokens.issueAccessToken({ sub: 'user-1', client_id: 'client-1', scope: 'openid' });
    });
    afterAll(() => ours?.close());

    it('accepts a well-formed token signed with our key (the control for the cases below)', async () => {
      await expect(t.app.tokens.verifyAccessToken(await signWithOurKey(claims()))).resolves.toMatchObject({
        jti: 'j-1',
      });
    });

    it('alg none', async () => {
      const header = { alg: 'none', typ: 'at+jwt', kid: ours.signingKey().kid };
      await refusal(t.app.tokens.verifyAccessToken(`${b64(header)}.${b64(claims())}.`));
    });

    it('a foreign key claiming our kid', async () => {
      const foreign = await generateKeyPair('ES256');
      const forged = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: ours.signingKey().kid })
        .sign(foreign.privateKey);
      const err = await refusal(t.app.tokens.verifyAccessToken(forged));
      expect(err.description).toBe('the access token signature is invalid');
    });

    it('HS256 keyed with our public key (algorithm confusion)', async () => {
      const kid = ours.signingKey().kid;
      const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
        keys: { kid: string }[];
      }>();
      const publicJwk = jwks.keys.find((k) => k.kid === kid)!;
      const publicKey = ours.verificationKey(kid)!.key;
      const secrets = [
        new TextEncoder().encode(JSON.stringify(publicJwk)),
        new TextEncoder().encode(await exportSPKI(publicKey as CryptoKey)),
      ];
      for (const secret of secrets) {
        const forged = await new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid })
          .sign(secret);
        const err = await refusal(t.app.tokens.verifyAccessToken(forged));
        expect(err.description).toBe('the access token is signed with an algorithm that is not accepted');
      }
    });

    it('an ES256 token presented where HS256 is configured', async () => {
      const hs = apps.get('HS256')!;
      const hsKid = decodeProtectedHeader(
        (await hs.app.tokens.issueAccessToken({ sub: 'u', client_id: 'c', scope: '' })).token,
      ).kid!;
      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: hsKid })
        .sign(privateKey);
      await refusal(hs.app.tokens.verifyAccessToken(forged));
    });

    it('wrong typ (an ID token is not an access token)', async () => {
      await refusal(t.app.tokens.verifyAccessToken(await signWithOurKey(claims(), 'JWT')));
      const idToken = await t.app.tokens.issueIdToken({ sub: 'user-1', aud: PUBLIC_URL });
      await refusal(t.app.tokens.verifyAccessToken(idToken));
    });

    it('wrong issuer', async () => {
      await refusal(t.app.tokens.verifyAccessToken(await signWithOurKey(claims({ iss: 'https://evil.example' }))));
    });

    it('wrong audience', async () => {
      await refusal(t.app.tokens.verifyAccessToken(await signWithOurKey(claims({ aud: 'https://api.other.example' }))));
    });

    it('expired, beyond the 5 s clock tolerance', async () => {
      const now = Math.floor(Date.now() / 1000);
      const err = await refusal(
        t.app.tokens.verifyAccessToken(await signWithOurKey(claims({ iat: now - 700, exp: now - 10 }))),
      );
      expect(err.description).toBe('the access token expired');
    });

    it('a missing required claim (RFC 9068 §2.2)', async () => {
      const { jti: _dropped, ...withoutJti } = claims();
      await refusal(t.app.tokens.verifyAccessToken(await signWithOurKey(withoutJti)));
      const { client_id: _also, ...withoutClientId } = claims();
      await refusal(t.app.tokens.verifyAccessToken(await signWithOurKey(withoutClientId)));
    });

    it('a tampered payload', async () => {
      const [header, payload, signature] = valid.token.split('.');
      const changed = { ...(JSON.parse(Buffer.from(payload!, 'base64url').toString()) as JWTPayload), sub: 'admin' };
      await refusal(t.app.tokens.verifyAccessToken(`${header}.${b64(changed)}.${signature}`));
    });

    it('garbage', async () => {
      for (const garbage of ['', 'not-a-token', 'a.b.c', `${b64({ alg: 'ES256' })}.e30.`, 'x'.repeat(10_000)]) {
        await refusal(t.app.tokens.verifyAccessToken(garbage));
      }
    });
  });

  describe('verification cache', () => {
    it('verifies a token once and answers repeats from memory', async () => {
      const t = apps.get('ES256')!;
      const store = await openSigningKeyStore({
        repos: t.app.repos,
        keyring: t.app.keyring,
        config: t.config,
        refreshIntervalMs: 0,
      });
      let lookups = 0;
      const counting: SigningKeyStore = {
        ...store,
        resolveVerificationKey: (kid) => {
          lookups += 1;
          return store.resolveVerificationKey(kid);
        },
      };
      try {
        const tokens = createTokenService(t.config, counting);
        const { token, jti } = await tokens.issueAccessToken({ sub: 'u', client_id: 'c', scope: 'openid' });
        for (let i = 0; i < 5; i++) await expect(tokens.verifyAccessToken(token)).resolves.toMatchObject({ jti });
        expect(lookups).toBe(1);
      } finally {
        store.close();
      }
    });

    it('does not remember failures: a token issued slightly in the future verifies once its time comes', async () => {
      const t = apps.get('ES256')!;
      const store = await openSigningKeyStore({
        repos: t.app.repos,
        keyring: t.app.keyring,
        config: t.config,
        refreshIntervalMs: 0,
      });
      try {
        const { kid, alg, key } = store.signingKey();
        const now = Math.floor(Date.now() / 1000);
        const early = await new SignJWT({ client_id: 'c', scope: '' })
          .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
          .setIssuer(PUBLIC_URL)
          .setAudience(PUBLIC_URL)
          .setSubject('u')
          .setJti('early')
          .setIssuedAt(now + 6)
          .setExpirationTime(now + 600)
          .sign(key);
        await refusal(t.app.tokens.verifyAccessToken(early));
        await new Promise((resolve) => setTimeout(resolve, 2100));
        await expect(t.app.tokens.verifyAccessToken(early)).resolves.toMatchObject({ jti: 'early' });
      } finally {
        store.close();
      }
    });
  });
});
