import { decodeProtectedHeader } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKeyring } from '../../../src/crypto/keyring.js';
import { ApiError as OAuthError } from '../../../src/oauth/errors.js';
import {
  openSigningKeyStore,
  RETENTION_MARGIN_SECONDS,
  rotateSigningKey,
  SIGNING_KEYS_CHANNEL,
  signingKeyRetentionSeconds,
} from '../../../src/oauth/signing-keys.js';
import { createRepositories, repositoryOptions } from '../../../src/repositories/index.js';
import type { Database, QueryResult } from '../../../src/storage/database.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { type TestApp } from '../../helpers/app.js';

interface KeyRow {
  kid: string;
  algorithm: string;
  public_jwk: Record<string, unknown>;
  private_key_enc: string;
  encryption_key_id: string;
  retired_at: Date | null;
}

/** The access-token (ES256) keys by default; the ID token algorithms have keys of their own. */
const keyRows = async (db: Database, alg: string | null = 'ES256') =>
  (
    await db.query<KeyRow>('SELECT * FROM signing_keys WHERE $1::text IS NULL OR algorithm = $1 ORDER BY created_at', [
      alg,
    ])
  ).rows;

/** The published kids of the access-token algorithm, in JWKS order. */
const jwksKids = async (t: TestApp, alg = 'ES256') => {
  const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  return res
    .json<{ keys: { kid: string; alg: string }[] }>()
    .keys.filter((k) => k.alg === alg)
    .map((k) => k.kid);
};

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

const issue = (t: TestApp) => t.app.tokens.issueAccessToken({ sub: 'user-1', client_id: 'client-1', scope: 'openid' });

describeBackends('signing keys', (backend) => {
  const a = useTestApp(backend);
  let b: TestApp;

  beforeAll(async () => {
    b = await a.another({ ownConnections: true });
  }, 60_000);
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('first start', () => {
    it('generates one ES256 key and persists it', async () => {
      const rows = await keyRows(a.storage.db);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ algorithm: 'ES256', retired_at: null, encryption_key_id: 'test1' });
      expect(rows[0]!.public_jwk).toEqual({
        kty: 'EC',
        crv: 'P-256',
        x: expect.any(String),
        y: expect.any(String),
        kid: rows[0]!.kid,
        alg: 'ES256',
        use: 'sig',
      });
      expect(kidOf((await issue(a)).token)).toBe(rows[0]!.kid);
    });

    it('stores the private key only as ciphertext bound to its kid', async () => {
      const [row] = await keyRows(a.storage.db);
      const privateJwk = JSON.parse(a.app.keyring.decrypt(row!.private_key_enc, row!.kid)) as { d: string };
      expect(privateJwk.d).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      // Nothing in the row, in any column, carries the private scalar.
      expect(JSON.stringify(row)).not.toContain(privateJwk.d);
      expect(JSON.stringify(row)).not.toContain('"d"');
      expect(row!.private_key_enc.startsWith('test1.')).toBe(true);
      // The kid is the associated data: the ciphertext does not open under another row's kid.
      expect(() => a.app.keyring.decrypt(row!.private_key_enc, 'another-kid')).toThrow();
      // And it never reaches the logs.
      expect(a.logs.text).not.toContain(privateJwk.d);
    });

    it('a second instance on the same a.storage uses the same key', async () => {
      const [row] = await keyRows(a.storage.db);
      expect(kidOf((await issue(b)).token)).toBe(row!.kid);
      expect(await jwksKids(b)).toEqual([row!.kid]);
      const fromA = await issue(a);
      await expect(b.app.tokens.verifyAccessToken(fromA.token)).resolves.toMatchObject({ jti: fromA.jti });
    });

    it('refuses to start when ENCRYPTION_KEYS cannot decrypt the active key, and creates no new one', async () => {
      const before = await keyRows(a.storage.db);
      const wrongKeyring = createKeyring([{ kid: 'other', key: Buffer.alloc(32, 9) }]);
      await expect(
        openSigningKeyStore({ repos: a.app.repos, keyring: wrongKeyring, config: a.config, refreshIntervalMs: 0 }),
      ).rejects.toThrow(
        `signing key ${before[0]!.kid} cannot be decrypted with ENCRYPTION_KEYS (it was encrypted under key id "test1")`,
      );
      expect(await keyRows(a.storage.db)).toEqual(before);
    });

    it('an instance that loses the race to create the first key loads the winner', async () => {
      // An algorithm with no key stands for an empty table: EdDSA's key (made at start for ID
      // tokens) is removed first, so the three stores below really race to create one.
      await a.storage.db.query(`DELETE FROM signing_keys WHERE algorithm = 'EdDSA'`);
      const config = { ...a.config, security: { ...a.config.security, jwt_algorithm: 'EdDSA' as const } };
      const opened = await Promise.all(
        [0, 1, 2].map(() =>
          openSigningKeyStore({ repos: a.app.repos, keyring: a.app.keyring, config, refreshIntervalMs: 0 }),
        ),
      );
      const kids = new Set(opened.map((s) => s.signingKey().kid));
      expect(kids.size).toBe(1);
      const eddsa = await keyRows(a.storage.db, 'EdDSA');
      expect(eddsa.map((r) => r.kid)).toEqual([...kids]);

      // Deterministic loser: this instance's first read sees no key (as if the winner committed
      // right after it), so it generates one, hits the unique index, and reloads.
      let hidden = false;
      const lateReader: Database = {
        ...a.storage.db,
        query: async <T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> => {
          if (!hidden && sql.includes('FROM signing_keys')) {
            hidden = true;
            return { rows: [], rowCount: 0 };
          }
          return a.storage.db.query<T>(sql, params);
        },
      };
      const loser = await openSigningKeyStore({
        repos: createRepositories(lateReader, repositoryOptions(config, a.app.keyring)),
        keyring: a.app.keyring,
        config,
        refreshIntervalMs: 0,
      });
      expect(hidden).toBe(true);
      expect(loser.signingKey().kid).toBe(eddsa[0]!.kid);
      expect(await keyRows(a.storage.db, 'EdDSA')).toHaveLength(1);
      for (const s of [...opened, loser]) s.close();
    });
  });

  describe('rotation', () => {
    it('keeps old tokens valid, signs with the new key, and reaches every instance within 1 s', async () => {
      const before = await issue(a);
      const oldKid = kidOf(before.token)!;
      // b verifies (and caches) the old token before the rotation.
      await b.app.tokens.verifyAccessToken(before.token);

      const rotated = await rotateSigningKey({
        db: a.db,
        repos: a.app.repos,
        cache: a.cache,
        keyring: a.app.keyring,
        config: a.config,
      });
      expect(rotated).toMatchObject({ retiredKid: oldKid, notified: true });
      expect(rotated.kid).not.toBe(oldKid);

      const started = Date.now();
      await vi.waitFor(
        async () => {
          expect(kidOf((await issue(b)).token)).toBe(rotated.kid);
          expect(await jwksKids(b)).toEqual([rotated.kid, oldKid]);
        },
        { timeout: 1000, interval: 20 },
      );
      expect(Date.now() - started).toBeLessThan(1000);
      await vi.waitFor(async () => expect(kidOf((await issue(a)).token)).toBe(rotated.kid), {
        timeout: 1000,
        interval: 20,
      });

      expect(await jwksKids(a)).toEqual([rotated.kid, oldKid]);
      for (const t of [a, b])
        await expect(t.app.tokens.verifyAccessToken(before.token)).resolves.toMatchObject({ jti: before.jti });
      const after = await issue(a);
      await expect(b.app.tokens.verifyAccessToken(after.token)).resolves.toMatchObject({ jti: after.jti });

      const rows = await keyRows(a.storage.db);
      const es256 = rows.filter((r) => r.algorithm === 'ES256');
      expect(es256.filter((r) => r.retired_at === null).map((r) => r.kid)).toEqual([rotated.kid]);
      expect(es256.find((r) => r.kid === oldKid)!.retired_at).toBeInstanceOf(Date);
    });

    it('drops a key retired longer ago than the window from the JWKS and from verification', async () => {
      const token = await issue(a);
      const oldKid = kidOf(token.token)!;
      await b.app.tokens.verifyAccessToken(token.token);
      const { kid: newKid } = await rotateSigningKey({
        db: a.db,
        repos: a.app.repos,
        cache: a.cache,
        keyring: a.app.keyring,
        config: a.config,
      });
      await vi.waitFor(async () => expect(await jwksKids(b)).toContain(newKid), { timeout: 1000, interval: 20 });

      const window = signingKeyRetentionSeconds(a.config);
      await a.storage.db.query(
        `UPDATE signing_keys SET retired_at = now() - make_interval(secs => $2) WHERE kid = $1`,
        [oldKid, window + 1],
      );
      await a.cache.publish(SIGNING_KEYS_CHANNEL, 'test: retired_at moved back');

      for (const t of [a, b]) {
        await vi.waitFor(
          async () => {
            const kids = await jwksKids(t);
            expect(kids[0]).toBe(newKid);
            expect(kids).not.toContain(oldKid);
          },
          { timeout: 1000, interval: 20 },
        );
        // b had this token cached; the cache does not outlive the key.
        const refused = await t.app.tokens.verifyAccessToken(token.token).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(OAuthError);
        expect(refused).toMatchObject({ error: 'invalid_token', status: 401 });
      }
    });

    it('a retired key leaves the JWKS when its window passes, without a reload', async () => {
      const { retiredKid, kid } = await rotateSigningKey({
        db: a.db,
        repos: a.app.repos,
        cache: a.cache,
        keyring: a.app.keyring,
        config: a.config,
      });
      const store = await openSigningKeyStore({
        repos: a.app.repos,
        keyring: a.app.keyring,
        config: a.config,
        refreshIntervalMs: 0,
      });
      try {
        expect(store.publicJwks().map((k) => k.kid)).toEqual(expect.arrayContaining([kid, retiredKid]));
        expect(store.verificationKey(retiredKid!)).toBeDefined();

        vi.useFakeTimers({ toFake: ['Date'] });
        vi.setSystemTime(
          Date.now() + (a.config.security.access_token_expiry_minutes * 60 + RETENTION_MARGIN_SECONDS + 1) * 1000,
        );
        expect(store.publicJwks().map((k) => k.kid)).toEqual([kid]);
        expect(store.verificationKey(retiredKid!)).toBeUndefined();
        expect(store.verificationKey(kid)).toBeDefined();
      } finally {
        store.close();
      }
    });

    it('refuses to rotate HS256, whose key is JWT_SECRET', async () => {
      const config = { ...a.config, security: { ...a.config.security, jwt_algorithm: 'HS256' as const } };
      await expect(
        rotateSigningKey({ db: a.db, repos: a.app.repos, cache: a.cache, keyring: a.app.keyring, config }),
      ).rejects.toThrow(/JWT_SECRET/);
    });
  });
});
