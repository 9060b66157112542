import { Redis } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { basicAuth, createApiKey, registerClient, type RegisteredClient } from '../../helpers/admin.js';
import { FORM, form, mintCode, postAs, seedUser, type SeededUser } from '../../helpers/oauth.js';
import { QueryCounter, type RecordedQuery } from '../../helpers/query-counter.js';

/**
 * Issue 10: in steady state the hot paths do no argon2 work and no Postgres round trip. Asserted
 * with a real database that counts statements, not with timings. Work that runs on timers —
 * the deny list's Postgres sync (every 2 s) — is not per request; it is separated by the module
 * that issued it and bounded, not hidden. Audit events are committed before the response that
 * reports them (product rule: operations): counted apart, one INSERT per request at most, shared by
 * concurrent requests.
 */
const REQUESTS = 50;
const AUDIT = 'audit/audit-log.ts';
const BACKGROUND = [AUDIT, 'oauth/deny-list.ts', 'oauth/signing-keys.ts'];
const isAudit = (q: RecordedQuery) => q.callers.includes(AUDIT);

const isBackground = (q: RecordedQuery) => q.callers.some((c) => BACKGROUND.includes(c));
const describeQuery = (q: RecordedQuery) => `${q.sql.slice(0, 120)}  ← ${q.callers.slice(0, 3).join(' ← ')}`;

describeBackends('hot paths in steady state', (backend) => {
  let counter: QueryCounter;
  const t = useTestApp(backend, { db: (db) => (counter = new QueryCounter(db)).db });
  let client: RegisteredClient;
  let user: SeededUser;

  beforeAll(async () => {
    client = await registerClient(t.app, { scope: 'openid profile email reports' });
    user = await seedUser(t.db);
  }, 60_000);

  /** Runs request REQUESTS times after one warm-up call; returns what Postgres and argon2 saw. */
  async function steadyState(request: () => Promise<{ statusCode: number; body: string }>) {
    const warm = await request();
    expect(warm.statusCode, warm.body).toBe(200);
    counter.reset();
    const argonBefore = t.app.secretHasher.argon2Verifications;
    for (let i = 0; i < REQUESTS; i++) {
      const res = await request();
      expect(res.statusCode, res.body).toBe(200);
    }
    const perRequest = counter.queries.filter((q) => !isBackground(q));
    const background = counter.queries.filter((q) => isBackground(q) && !isAudit(q));
    const audit = counter.queries.filter(isAudit).length;
    return {
      perRequest: perRequest.map(describeQuery),
      background,
      audit,
      argon2: t.app.secretHasher.argon2Verifications - argonBefore,
    };
  }

  /** Timer work stays timer-sized: a handful of batches, never one statement per request. */
  function expectBoundedBackground(background: RecordedQuery[]) {
    expect(background.length).toBeLessThan(REQUESTS / 2);
  }

  it('client_credentials: 0 Postgres queries but its audit INSERT, and 0 argon2 verifications per request', async () => {
    const { perRequest, background, audit, argon2 } = await steadyState(() =>
      postAs(t.app, client, '/oauth/token', { grant_type: 'client_credentials', scope: 'reports' }),
    );
    expect(perRequest).toEqual([]);
    expect(audit).toBeLessThanOrEqual(REQUESTS);
    expect(argon2).toBe(0);
    expectBoundedBackground(background);
  });

  it('client_credentials: concurrent requests share audit INSERTs (group commit)', async () => {
    counter.reset();
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, () =>
        postAs(t.app, client, '/oauth/token', { grant_type: 'client_credentials', scope: 'reports' }),
      ),
    );
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(counter.queries.filter(isAudit).length).toBeLessThan(REQUESTS / 2);
  });

  it('introspection of a JWT access token: 0 Postgres queries and 0 argon2 verifications', async () => {
    const issued = await postAs(t.app, client, '/oauth/token', { grant_type: 'client_credentials', scope: 'reports' });
    const token = issued.json().access_token as string;
    const { perRequest, background, argon2 } = await steadyState(async () => {
      const res = await postAs(t.app, client, '/oauth/introspect', { token });
      expect(res.json().active).toBe(true);
      return res;
    });
    expect(perRequest).toEqual([]);
    expect(argon2).toBe(0);
    expectBoundedBackground(background);
  });

  it('GET /user/info: 0 Postgres queries and 0 argon2', async () => {
    const code = await mintCode(t.db, { clientId: client.client_id, userId: user.id, redirectUri: null });
    const tokens = (await postAs(t.app, client, '/oauth/token', { grant_type: 'authorization_code', code })).json();
    const { perRequest, argon2 } = await steadyState(() =>
      t.app.inject({
        method: 'GET',
        url: `/user/info?username=${user.username}`,
        headers: { authorization: `Bearer ${tokens.access_token}` },
      }),
    );
    expect(perRequest).toEqual([]);
    expect(argon2).toBe(0);
  });

  it('broker hot path: 0 Postgres queries and 0 argon2', async () => {
    const { api_key } = await createApiKey(t.app, { scopes: ['tokens'] });
    const broker = (subject: string) =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { ...FORM, authorization: `Bearer ${api_key}` },
        payload: form({ subject }),
      });
    // A fresh Google credential, stored the way sign-in stores it.
    const { createGoogleCredentialsRepository } = await import('../../../src/repositories/google-credentials.js');
    await createGoogleCredentialsRepository(t.db, t.app.keyring).save(
      { userId: user.id },
      {
        accessToken: 'ya29.bench-fresh-token',
        expiresIn: 3599,
        refreshToken: '1//bench-refresh-token',
        scope: 'openid email profile',
      },
    );
    const { perRequest, argon2 } = await steadyState(() => broker(user.id));
    expect(perRequest).toEqual([]);
    expect(argon2).toBe(0);
  });

  // Only the real backend has a Redis to watch: the embedded variant registers no such test.
  if (backend.name === 'real')
    it('broker hot path: 0 Redis commands once the token is in process memory (real Redis, MONITOR)', async () => {
      const { api_key } = await createApiKey(t.app, { scopes: ['tokens'] });
      const subject = (await seedUser(t.db)).id;
      const { createGoogleCredentialsRepository } = await import('../../../src/repositories/google-credentials.js');
      await createGoogleCredentialsRepository(t.db, t.app.keyring).save(
        { userId: subject },
        {
          accessToken: 'ya29.monitor-fresh-token',
          expiresIn: 3599,
          refreshToken: '1//monitor-refresh-token',
          scope: 'openid email profile',
        },
      );
      const broker = () =>
        t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: { ...FORM, authorization: `Bearer ${api_key}` },
          payload: form({ subject }),
        });
      // First call: Postgres, then written to Redis. Second: read back from Redis into memory.
      for (let i = 0; i < 2; i++) expect((await broker()).statusCode).toBe(200);
      const prefix = t.storage.cache.prefix;
      const monitor = await new Redis(process.env.REDIS_URL!).monitor();
      const seen: string[] = [];
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args.some((a) => a.startsWith(prefix))) seen.push(args.join(' ').slice(0, 120));
      });
      try {
        // The monitor reports what Redis executed: a command sent before it attached is not counted.
        await new Promise((r) => setTimeout(r, 50));
        for (let i = 0; i < REQUESTS; i++) {
          const res = await broker();
          expect(res.statusCode, res.body).toBe(200);
          expect(res.json().access_token).toBe('ya29.monitor-fresh-token');
        }
        await new Promise((r) => setTimeout(r, 100));
        expect(seen).toEqual([]);
      } finally {
        monitor.disconnect();
      }
    });

  it('the counter sees request-path queries where there are some (authorization_code exchange)', async () => {
    counter.reset();
    const code = await mintCode(t.db, { clientId: client.client_id, userId: user.id, redirectUri: null });
    const res = await postAs(t.app, client, '/oauth/token', { grant_type: 'authorization_code', code });
    expect(res.statusCode).toBe(200);
    const perRequest = counter.queries.filter((q) => !isBackground(q));
    expect(perRequest.some((q) => q.callers.includes('oauth/grants/authorization-code.ts'))).toBe(true);
  });

  it('a client that authenticates with Basic costs one argon2 verification, once', async () => {
    const fresh = await registerClient(t.app, {
      scope: 'reports',
      grant_types: ['client_credentials'],
      redirect_url: undefined,
    });
    const before = t.app.secretHasher.argon2Verifications;
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { ...FORM, authorization: basicAuth(fresh.client_id, fresh.client_secret!) },
        payload: form({ grant_type: 'client_credentials' }),
      });
      expect(res.statusCode).toBe(200);
    }
    expect(t.app.secretHasher.argon2Verifications - before).toBe(1);
  });
});
