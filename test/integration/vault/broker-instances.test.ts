import { beforeAll, expect, it } from 'vitest';
import { adminHeaders, createApiKey } from '../../helpers/admin.js';
import { type TestApp } from '../../helpers/app.js';
import { describeBackends } from '../../helpers/backends.js';
import { useTestApp } from '../../helpers/use-test-app.js';
import { unavailableFor } from '../../helpers/failing-cache.js';
import { subjectCacheKey } from '../../../src/vault/subject.js';
import { brokerCall, seedCredential } from '../../helpers/vault.js';
import { msUntil } from '../../helpers/wait.js';

/** What the broker keys a person's mapping by in memory. */
const personKey = (subject: string) => subjectCacheKey({ kind: 'person', subject });

describeBackends('Google token broker across instances', (backend) => {
  const a = useTestApp(backend, { google: true });
  let b: TestApp;
  let key: string;
  let seq = 0;
  /** A second instance whose cache is down for the vault's keys (its own connections on the real backend). */
  const instanceWithoutVaultCache = () =>
    a.another({ ownConnections: true, cache: (cache) => unavailableFor(cache, 'vault:') });

  beforeAll(async () => {
    b = await a.another({ ownConnections: true });
    key = (await createApiKey(a.app)).api_key;
  }, 60_000);

  /**
   * One call per instance first: a key's first use runs argon2, and twenty of those at once on
   * a loaded machine would eat the refresh budget the test is about.
   */
  async function warmUp(...instances: TestApp[]) {
    for (const i of instances) expect((await brokerCall(i.app, key, 'warm-up')).statusCode).toBe(404);
  }

  async function seedExpiring() {
    a.google.control.setAccessTokenLifetime(60);
    const s = await seedCredential(a.app, a.google, `instances.${++seq}.${backend.name}@example.com`);
    a.google.control.setAccessTokenLifetime(3599);
    return s;
  }

  it('two instances on one Postgres and Redis refresh an expiring token exactly once', async () => {
    await warmUp(a, b);
    const s = await seedExpiring();
    const before = a.google.control.calls('token');
    a.google.control.setLatency(200, 'token');
    const calls = Array.from({ length: 20 }, (_, i) =>
      brokerCall(i % 2 ? a.app : b.app, key, s.user.id, i % 4 ? 'token' : 'tokens'),
    );
    const results = await Promise.all(calls);
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    expect(new Set(results.map((r) => r.json().access_token)).size).toBe(1);
    expect(a.google.control.calls('token')).toBe(before + 1);
  });

  /** Until the instance answers from process memory: the first call reads Postgres, the next Redis. */
  async function servedFromMemory(i: TestApp, subject: string) {
    for (let n = 0; n < 2; n++) expect((await brokerCall(i.app, key, subject)).statusCode).toBe(200);
    expect(i.app.vault.tokenCache.peek(personKey(subject))).toBeDefined();
  }

  it("a person deleted on instance A stops being served from instance B's memory within 1 s", async () => {
    await warmUp(a, b);
    const s = await seedCredential(a.app, a.google, `instances.${++seq}.${backend.name}@example.com`);
    await servedFromMemory(b, s.user.id);
    await servedFromMemory(b, s.user.email!);
    const del = await a.app.inject({ method: 'DELETE', url: `/users/${s.user.id}`, headers: adminHeaders });
    const deletedAt = Date.now(); // committed, and the drop published, when the admin call returns
    expect(del.statusCode, del.body).toBe(200);
    expect(
      await msUntil(deletedAt, async () => b.app.vault.tokenCache.peek(personKey(s.user.id)) === undefined),
    ).toBeLessThan(1000);
    expect(b.app.vault.tokenCache.peek(personKey(s.user.email!))).toBeUndefined();
    expect((await brokerCall(b.app, key, s.user.id)).statusCode).toBe(404);
    expect((await brokerCall(b.app, key, s.user.email!)).statusCode).toBe(404);
  });

  it("a token refreshed on instance A replaces the one in instance B's memory within 1 s", async () => {
    await warmUp(a, b);
    const s = await seedCredential(a.app, a.google, `instances.${++seq}.${backend.name}@example.com`);
    await servedFromMemory(b, s.user.id);
    const forced = await brokerCall(a.app, key, s.user.id, 'refresh');
    const refreshedAt = Date.now();
    expect(forced.statusCode, forced.body).toBe(200);
    const fresh = forced.json().access_token as string;
    expect(fresh).not.toBe(s.accessToken);
    expect(
      await msUntil(
        refreshedAt,
        async () => b.app.vault.tokenCache.peek(personKey(s.user.id))?.accessToken !== s.accessToken,
      ),
    ).toBeLessThan(1000);
    expect((await brokerCall(b.app, key, s.user.id)).json().access_token).toBe(fresh);
  });

  it('a credential marked reauth_required on instance A is refused by instance B within 1 s', async () => {
    await warmUp(a, b);
    const s = await seedCredential(a.app, a.google, `instances.${++seq}.${backend.name}@example.com`);
    await servedFromMemory(b, s.user.id);
    a.google.control.revokeRefreshToken(s.refreshToken);
    const forced = await brokerCall(a.app, key, s.user.id, 'refresh');
    const markedAt = Date.now();
    expect(forced.json().error).toBe('reauth_required');
    expect(
      await msUntil(markedAt, async () => b.app.vault.tokenCache.peek(personKey(s.user.id)) === undefined),
    ).toBeLessThan(1000);
    expect((await brokerCall(b.app, key, s.user.id)).json().error).toBe('reauth_required');
  });

  it('without Redis, a Postgres row lock still makes two instances refresh exactly once', async () => {
    const c = await instanceWithoutVaultCache();
    const d = backend.name === 'real' ? await instanceWithoutVaultCache() : c;
    try {
      await warmUp(c, d);
      const s = await seedExpiring();
      const before = a.google.control.calls('token');
      a.google.control.setLatency(200, 'token');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => brokerCall(i % 2 ? c.app : d.app, key, s.user.id)),
      );
      expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
      expect(new Set(results.map((r) => r.json().access_token)).size).toBe(1);
      expect(a.google.control.calls('token')).toBe(before + 1);
      // And a fresh token is then served from Postgres alone.
      const again = await brokerCall(c.app, key, s.user.email!);
      expect(again.json().access_token).toBe(results[0]!.json().access_token);
      expect(a.google.control.calls('token')).toBe(before + 1);
    } finally {
      if (d !== c) await d.close();
      await c.close();
    }
  });
});
